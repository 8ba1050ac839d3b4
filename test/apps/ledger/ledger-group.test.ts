// Two ledger processes in group "ledger" share points.commands' 6 partitions; when one stops, the
// other takes its partitions over, and every command is still applied exactly once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceProcess } from "../../helpers/app-process.ts";
import { range, waitFor } from "../../helpers/wait.ts";
import { commandStream, PARTITIONS } from "./ledger-fixture.ts";
import { startLedgerRig } from "./ledger-rig.ts";

/** The partitions of the ledger's latest "joined group" line, or undefined before it joined. */
function latestAssignment(ledger: ServiceProcess): number[] | undefined {
  const joins = [
    ...ledger
      .output()
      .matchAll(/joined group ledger as \S+(?: \(leader\))?: partitions \[([\d, ]*)\] of points\.commands/g),
  ];
  const last = joins.at(-1);
  if (!last) return undefined;
  return last[1]!
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map(Number);
}

function appliedCount(output: string): number {
  const match = /applied (\d+), rejected (\d+)/.exec(output);
  assert.ok(match, `final counts in:\n${output}`);
  return Number(match[1]) + Number(match[2]);
}

describe("ledger group", () => {
  it("when two ledgers share the partitions and one stops, then the other takes its partitions over and every command is applied exactly once", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig();
    try {
      const commands = commandStream("group", 48, 2_400);
      const [first, second] = [commands.slice(0, 1_200), commands.slice(1_200)];
      const a = await rig.startLedger();
      const b = await rig.startLedger();
      const describeAssignments = () => `a: [${latestAssignment(a)}], b: [${latestAssignment(b)}]\n${rig.outputs()}`;
      await waitFor(
        () => {
          const [pa, pb] = [latestAssignment(a) ?? [], latestAssignment(b) ?? []];
          return (
            pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort((x, y) => x - y).join() === range(PARTITIONS).join()
          );
        },
        {
          message: () =>
            `both ledgers own some of the partitions, each partition one of them: ${describeAssignments()}`,
        },
      );

      await rig.producer.send(first);
      await rig.waitForReplay(first);

      assert.equal(await a.stop(), 0);
      await waitFor(() => latestAssignment(b)?.join() === range(PARTITIONS).join(), {
        message: () => `b takes all partitions over: ${describeAssignments()}`,
      });
      await rig.producer.send(second);
      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      assert.equal(await b.stop(), 0);

      const [byA, byB] = [appliedCount(a.output()), appliedCount(b.output())];
      assert.ok(byA > 0 && byB > 0, `both ledgers applied commands (a ${byA}, b ${byB})`);
      assert.equal(byA + byB, commands.length, "no command applied by both");
    } finally {
      await rig.cleanup();
    }
  });
});
