// The ledger's transactional mode: its settings, the offsets it sends, and ledger processes on a
// real broker whose outcome events and offsets commit in one Kafka transaction — read_committed
// readers see exactly one event per command even across a crash after a database commit.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ledgerTransactionalId,
  offsetsByTopic,
  transactionsFrom,
} from "../../../apps/ledger/transactional-outcomes.ts";
import { COMMANDS_TOPIC } from "../../../apps/shared/topics.ts";
import { waitFor } from "../../helpers/wait.ts";
import { commandStream, kafkaFor } from "./ledger-fixture.ts";
import { type LedgerRig, startLedgerRig } from "./ledger-rig.ts";

/** The ledger group's committed offsets and the commands topic's ends, partition by partition. */
async function offsetsAndEnds(rig: LedgerRig): Promise<{ committed: string[]; ends: string[] }> {
  const admin = kafkaFor(rig.broker.address).admin();
  await admin.connect();
  try {
    const [group] = await admin.fetchOffsets({ groupId: "ledger", topics: [COMMANDS_TOPIC] });
    const ends = await admin.fetchTopicOffsets(COMMANDS_TOPIC);
    const byPartition = (list: { partition: number; offset?: string; high?: string }[], field: "offset" | "high") =>
      [...list].sort((a, b) => a.partition - b.partition).map((p) => p[field] ?? "");
    return { committed: byPartition(group?.partitions ?? [], "offset"), ends: byPartition(ends, "high") };
  } finally {
    await admin.disconnect();
  }
}

describe("ledger transactional outcomes", () => {
  it("when LEDGER_TRANSACTIONS is on or off, then the mode follows; anything else is refused", () => {
    assert.equal(transactionsFrom({}), false);
    assert.equal(transactionsFrom({ LEDGER_TRANSACTIONS: "off" }), false);
    assert.equal(transactionsFrom({ LEDGER_TRANSACTIONS: "on" }), true);
    assert.throws(() => transactionsFrom({ LEDGER_TRANSACTIONS: "yes" }), /LEDGER_TRANSACTIONS must be on or off/);
  });

  it("when a ledger has a static instance id, then its transactional id is that; otherwise its process's", () => {
    assert.equal(ledgerTransactionalId("m1"), "ledger-m1");
    assert.equal(ledgerTransactionalId(undefined, 42), "ledger-pid-42");
  });

  it("when a group consumed several batches of a partition, then the offset sent is the latest end", () => {
    assert.deepEqual(
      offsetsByTopic([
        { topic: "c", partition: 1, nextOffset: 5n },
        { topic: "c", partition: 0, nextOffset: 9n },
        { topic: "c", partition: 1, nextOffset: 12n },
      ]),
      [
        {
          topic: "c",
          partitions: [
            { partition: 1, offset: "12" },
            { partition: 0, offset: "9" },
          ],
        },
      ],
    );
  });

  it("when the transactional ledger applies a stream, then its events and its offsets commit together", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig({ LEDGER_TRANSACTIONS: "on" });
    try {
      const commands = commandStream("tx", 30, 1_500);
      await rig.startLedger();
      await rig.producer.send(commands);
      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      let seen = await offsetsAndEnds(rig);
      await waitFor(
        async () => {
          seen = await offsetsAndEnds(rig);
          return JSON.stringify(seen.committed) === JSON.stringify(seen.ends);
        },
        { message: () => `the group's offsets at the ends: ${JSON.stringify(seen)}\n${rig.outputs()}` },
      );
      assert.equal(rig.events.events.length, commands.length, "one event per command, none twice");
    } finally {
      await rig.cleanup();
    }
  });

  it("when the transactional ledger dies right after a database commit, then read_committed readers still get exactly one event per command", {
    timeout: 180_000,
  }, async () => {
    const rig = await startLedgerRig({ LEDGER_TRANSACTIONS: "on" });
    try {
      const commands = commandStream("tx-fault", 20, 600);
      const ledger = await rig.startLedger({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "1" });
      await rig.producer.send(commands);
      await waitFor(() => ledger.output().includes("fault injection: SIGKILL after database commit 1"), {
        message: () => `the fault\n${rig.outputs()}`,
      });
      await ledger.kill();
      assert.ok((await rig.db.ledgerEntry.count()) > 0, "the first group was committed to SQLite");

      await rig.startLedger();
      await rig.waitForReplay(commands);
      await rig.waitForEvents(commands);
      // The crashed group's events never went out; the restarted ledger re-emitted its stored
      // outcomes once, in a transaction with its offsets.
      const twice = [...rig.events.byId()].filter(([, copies]) => copies.length > 1);
      assert.deepEqual(twice, []);
      assert.equal(rig.events.events.length, commands.length);
    } finally {
      await rig.cleanup();
    }
  });
});
