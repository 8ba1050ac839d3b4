// The ledger's stall on demand: SIGUSR1 makes its next batch wait past its max poll interval, so it
// leaves the group, the other ledger takes its partitions over, and once the stalled batch is
// applied (or found applied) nothing is lost or applied twice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STALL_BEYOND_MAX_POLL_MS, Stall, stallMsFrom } from "../../../apps/ledger/stall.ts";
import type { AppLog } from "../../../apps/shared/log.ts";
import type { ServiceProcess } from "../../helpers/app-process.ts";
import { type Sample, sampleSum, scrape } from "../../helpers/prometheus.ts";
import { range, waitFor } from "../../helpers/wait.ts";
import { commandStream, PARTITIONS } from "./ledger-fixture.ts";
import { startLedgerRig } from "./ledger-rig.ts";

function recordingLog(): AppLog & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string) => {
    lines.push(message);
  };
  return { lines, info: record, warn: record, error: record };
}

/** The partitions of each "joined group" line of the ledger, in order. */
function assignments(ledger: ServiceProcess): number[][] {
  return [
    ...ledger
      .output()
      .matchAll(/joined group ledger as \S+(?: \(leader\))?: partitions \[([\d, ]*)\] of points\.commands/g),
  ].map((match) =>
    match[1]!
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "")
      .map(Number),
  );
}

/** The ledger's metrics, from the URL it announced. */
function scrapeLedger(ledger: ServiceProcess): Promise<Sample[]> {
  const match = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(ledger.output());
  assert.ok(match, `a metrics line in:\n${ledger.output()}`);
  return scrape(match[1]!);
}

function appliedCount(output: string): number {
  const match = /applied (\d+), rejected (\d+)/.exec(output);
  assert.ok(match, `final counts in:\n${output}`);
  return Number(match[1]) + Number(match[2]);
}

describe("ledger stall", () => {
  it("when LEDGER_STALL_MS is unset, then a stall lasts the max poll interval and 5 s more; set, it is read", () => {
    assert.equal(stallMsFrom({}, 20_000), 20_000 + STALL_BEYOND_MAX_POLL_MS);
    assert.equal(stallMsFrom({ LEDGER_STALL_MS: "1500" }, 20_000), 1500);
    assert.throws(() => stallMsFrom({ LEDGER_STALL_MS: "soon" }, 20_000), /integer/);
  });

  it("when armed, then only the next batch waits, and the arming is logged once", async () => {
    const log = recordingLog();
    const waits: number[] = [];
    const stall = new Stall(7000, log, async (ms) => {
      waits.push(ms);
    });
    await stall.beforeBatch();
    stall.arm("SIGUSR1");
    stall.arm("SIGUSR1");
    await stall.beforeBatch();
    await stall.beforeBatch();
    assert.deepEqual(waits, [7000]);
    assert.deepEqual(log.lines, ["stall: next batch waits 7000 ms (SIGUSR1)"]);
  });

  it("when a ledger gets SIGUSR1, then its next batch stalls past the max poll interval, the other ledger takes its partitions over, and every command is applied exactly once", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig({ LEDGER_MAX_POLL_INTERVAL_MS: "2000" });
    try {
      const commands = commandStream("stall", 48, 2_400);
      const [first, second] = [commands.slice(0, 1_200), commands.slice(1_200)];
      const a = await rig.startLedger();
      const b = await rig.startLedger();
      const latest = (ledger: ServiceProcess) => assignments(ledger).at(-1) ?? [];
      const shared = () =>
        latest(a).length > 0 &&
        latest(b).length > 0 &&
        [...latest(a), ...latest(b)].sort((x, y) => x - y).join() === range(PARTITIONS).join();
      const state = () => `a: [${latest(a)}], b: [${latest(b)}]\n${rig.outputs()}`;
      await waitFor(shared, { message: () => `both ledgers own some of the partitions: ${state()}` });
      await rig.producer.send(first);
      await rig.waitForReplay(first);

      a.signal("SIGUSR1");
      await waitFor(() => a.output().includes("stall: next batch waits 7000 ms (SIGUSR1)"), {
        message: () => `the stall line: ${state()}`,
      });
      const joinsOfA = assignments(a).length;
      await rig.producer.send(second);
      await waitFor(() => latest(b).join() === range(PARTITIONS).join(), {
        timeoutMs: 30_000,
        message: () => `b takes every partition while a is stalled: ${state()}`,
      });
      await waitFor(() => assignments(a).length > joinsOfA && shared(), {
        timeoutMs: 60_000,
        message: () => `a joins again after its stall and the partitions are shared: ${state()}`,
      });

      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      // Both ledgers' metrics: the commands each decided, the transactions, the batches.
      const [metricsA, metricsB] = [await scrapeLedger(a), await scrapeLedger(b)];
      const decided = (samples: Sample[]) =>
        sampleSum(samples, "points_ledger_commands_total", { outcome: "applied" }) +
        sampleSum(samples, "points_ledger_commands_total", { outcome: "rejected" });
      assert.equal(decided(metricsA) + decided(metricsB), commands.length, "each command decided once");
      for (const samples of [metricsA, metricsB]) {
        assert.ok(sampleSum(samples, "points_ledger_transaction_seconds_count") > 0, "transactions timed");
        assert.ok(sampleSum(samples, "points_consumer_batches_total", { service: "ledger" }) > 0, "batches counted");
      }
      assert.equal(await a.stop(), 0);
      assert.equal(await b.stop(), 0);
      const [byA, byB] = [appliedCount(a.output()), appliedCount(b.output())];
      assert.equal(byA + byB, commands.length, `no command applied by both (a ${byA}, b ${byB})`);
    } finally {
      await rig.cleanup();
    }
  });
});
