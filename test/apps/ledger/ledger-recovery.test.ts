// The ledger crashing: killed with SIGKILL mid-stream, and killed right after a database commit
// (before the batch's events were produced and its offsets committed). After a restart every
// command is applied exactly once and every outcome reaches points.events.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EVENTS_TOPIC } from "../../../apps/shared/topics.ts";
import { waitFor } from "../../helpers/wait.ts";
import { commandStream, kafkaFor } from "./ledger-fixture.ts";
import { startLedgerRig } from "./ledger-rig.ts";

/** What the ledger says when it stops: its counts since it started. */
function finalCounts(output: string): { applied: number; rejected: number; reemitted: number } {
  const match = /applied (\d+), rejected (\d+), re-emitted (\d+), skipped \d+ invalid/.exec(output);
  assert.ok(match, `the ledger's final counts in:\n${output}`);
  return { applied: Number(match[1]), rejected: Number(match[2]), reemitted: Number(match[3]) };
}

async function eventsOnTopic(address: string): Promise<number> {
  const admin = kafkaFor(address).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(EVENTS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe("ledger process recovery", () => {
  it("when the ledger is killed with SIGKILL in the middle of a stream and started again, then every command is applied exactly once", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig();
    try {
      const commands = commandStream("kill", 40, 4_000);
      const half = commands.length / 2;
      let killed!: () => void;
      const afterKill = new Promise<void>((resolve) => (killed = resolve));
      const ledger = await rig.startLedger();
      // The producer goes on through the crash; the second half waits for the kill, so the crash
      // is in the middle of the stream whatever the speeds.
      const producing = (async () => {
        for (let start = 0; start < commands.length; start += 50) {
          if (start === half) await afterKill;
          await rig.producer.send(commands.slice(start, start + 50));
        }
      })();

      await waitFor(async () => (await rig.db.ledgerEntry.count()) >= 500, {
        message: () => `500 commands applied before the kill\n${rig.outputs()}`,
      });
      await ledger.kill();
      killed();
      const appliedAtKill = await rig.db.ledgerEntry.count();
      assert.ok(appliedAtKill < commands.length, `killed mid-stream (${appliedAtKill} of ${commands.length})`);

      await rig.startLedger();
      await producing;
      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      assert.equal(await rig.db.ledgerEntry.count(), commands.length);
    } finally {
      await rig.cleanup();
    }
  });

  it("when the ledger dies right after a database commit, then after a restart nothing is applied twice and every outcome is on points.events", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig();
    try {
      const commands = commandStream("fault", 30, 1_200);
      const ledger = await rig.startLedger({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "1" });
      await rig.producer.send(commands);
      await waitFor(() => ledger.output().includes("fault injection: SIGKILL after database commit 1"), {
        message: () => `the fault\n${rig.outputs()}`,
      });
      await ledger.kill(); // already dead: waits for its exit
      const stored = await rig.db.ledgerEntry.count();
      assert.ok(stored > 0, "the batch was committed");
      assert.ok(
        (await eventsOnTopic(rig.broker.address)) < stored,
        "the committed batch's outcomes were never produced",
      );

      const restarted = await rig.startLedger();
      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      assert.equal(await rig.db.ledgerEntry.count(), commands.length);
      for (const [eventId, copies] of rig.events.byId()) {
        for (const copy of copies)
          assert.deepEqual(copy.event, copies[0]!.event, `copies of ${eventId} are the same event`);
      }

      assert.equal(await restarted.stop(), 0);
      const counts = finalCounts(restarted.output());
      assert.ok(
        counts.reemitted > 0,
        "the redelivered batch was found already processed and its outcomes emitted again",
      );
      assert.equal(
        counts.applied + counts.rejected,
        commands.length - stored,
        "the restarted ledger applied exactly what was not stored yet",
      );
    } finally {
      await rig.cleanup();
    }
  });
});
