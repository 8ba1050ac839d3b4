// Crash matrix of a partition's transactions: a workload of transactional batches from several
// producers, commit and abort markers, segment rolls (producer snapshots) and a truncation is cut
// at every one of its disk operations in turn, by a killed process and by a power loss. Each time
// the partition reopens with the transactions the surviving log says: the aborted ones listed
// (the txn index rebuilt where the crash left it short or long), the ongoing ones holding the last
// stable offset back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readControlRecord } from "../../../broker/protocol/record-batch/control-records.ts";
import { isControlBatch, isTransactionalBatch } from "../../../broker/protocol/record-batch/layout.ts";
import { Partition } from "../../../broker/server/partition.ts";
import type { PartitionState } from "../../../broker/server/replication/partition-state.ts";
import type { FileSystem } from "../../../broker/storage/file-system.ts";
import { PartitionLog } from "../../../broker/storage/partition-log.ts";
import { freshDisk, LOG_DIR, workloadConfig } from "../storage/fault-workload.ts";
import { FaultyFileSystem, manualClock, SimulatedCrash } from "../storage/faulty-file-system.ts";
import type { SimulatedDisk } from "../storage/simulated-disk.ts";
import { txnBatch } from "./transactional-batches.ts";

function openPartition(fs: FileSystem): Partition {
  const log = PartitionLog.open(fs, LOG_DIR, workloadConfig, manualClock().clock);
  // Only the data half is exercised: appends go to the Partition itself, the high watermark by hand.
  return new Partition("sales", 0, log, 1_000_000, () => ({}) as PartitionState);
}

function runWorkload(partition: Partition): void {
  const committed = () => partition.log.updateHighWatermark(partition.log.logEndOffset);
  const produce = (batch: Buffer) => {
    const outcome = partition.append(batch);
    if (outcome.errorCode !== 0) throw new SimulatedCrash(outcome.errorMessage ?? "append failed");
    committed();
  };
  const marker = (producerId: bigint, commit: boolean, producerEpoch = 0) => {
    const outcome = partition.appendTxnMarker({ producerId, producerEpoch, coordinatorEpoch: 0, commit });
    if (outcome.errorCode !== 0) throw new SimulatedCrash(outcome.errorMessage ?? "marker failed");
    committed();
  };
  produce(txnBatch(7n, 0, { count: 2 }));
  produce(txnBatch(8n, 0));
  produce(txnBatch(7n, 2));
  marker(7n, false);
  produce(txnBatch(9n, 0));
  marker(8n, true);
  produce(txnBatch(7n, 0, { epoch: 1 }));
  marker(9n, false);
  partition.log.roll();
  produce(txnBatch(10n, 0, { count: 3 }));
  marker(7n, false, 1);
  produce(txnBatch(8n, 1));
  // Cuts the last marker and batch: producer 7's second transaction is ongoing again.
  partition.truncateTo(partition.log.logEndOffset - 2n);
  marker(7n, true, 1);
  marker(10n, false);
  produce(txnBatch(11n, 0));
  partition.log.close();
}

/** What the log itself says: the aborted transactions, and the first offset of each ongoing one. */
function transactionsInLog(log: PartitionLog): {
  aborted: { producerId: bigint; firstOffset: bigint }[];
  ongoing: bigint[];
} {
  const ongoing = new Map<bigint, bigint>();
  const aborted: { producerId: bigint; firstOffset: bigint }[] = [];
  for (const batch of log.batches()) {
    if (isControlBatch(batch.attributes)) {
      const first = ongoing.get(batch.producerId);
      ongoing.delete(batch.producerId);
      if (first !== undefined && readControlRecord(batch.bytes)?.type === 0)
        aborted.push({ producerId: batch.producerId, firstOffset: first });
    } else if (isTransactionalBatch(batch.attributes) && !ongoing.has(batch.producerId)) {
      ongoing.set(batch.producerId, batch.baseOffset);
    }
  }
  return { aborted, ongoing: [...ongoing.values()] };
}

function assertTransactionsRecovered(partition: Partition, label: string): void {
  const log = partition.log;
  log.updateHighWatermark(log.logEndOffset);
  const expected = transactionsInLog(log);
  assert.deepEqual(partition.abortedTransactions(log.logStartOffset, log.logEndOffset), expected.aborted, label);
  let lso = log.logEndOffset;
  for (const offset of expected.ongoing) if (offset < lso) lso = offset;
  assert.equal(partition.lastStableOffset, lso, label);
}

test("when the transactional workload runs on a healthy disk, then it aborts, commits, rolls and truncates as it claims", () => {
  const faulty = new FaultyFileSystem(freshDisk());
  runWorkload(openPartition(faulty));
  const reopened = openPartition(faulty);
  const { aborted, ongoing } = transactionsInLog(reopened.log);
  assert.deepEqual(aborted, [
    { producerId: 7n, firstOffset: 0n },
    { producerId: 9n, firstOffset: 5n },
    { producerId: 10n, firstOffset: 9n },
  ]);
  assert.deepEqual(ongoing, [14n]);
  assertTransactionsRecovered(reopened, "healthy");
  assert.ok(faulty.operations.some((op) => op.startsWith("append") && op.endsWith(".txnindex")));
  assert.ok(faulty.operations.some((op) => op.startsWith("truncate") && op.endsWith(".txnindex")));
  reopened.log.close();
});

const endings = [
  { name: "the process is killed", end: (disk: SimulatedDisk) => disk.kill() },
  { name: "the power is lost", end: (disk: SimulatedDisk) => disk.powerLoss() },
];

for (const ending of endings) {
  test(`when ${ending.name} at any disk operation of the transactional workload, then the reopened partition's transactions are the log's`, () => {
    const healthy = new FaultyFileSystem(freshDisk());
    runWorkload(openPartition(healthy));
    const operations = healthy.operations.length;
    for (let n = 1; n <= operations; n++) {
      const disk = freshDisk();
      const faulty = new FaultyFileSystem(disk);
      faulty.crashAtOperation(n);
      const label = `${ending.name} at operation ${n} (${healthy.operations[n - 1]})`;
      assert.throws(() => runWorkload(openPartition(faulty)), label);
      ending.end(disk);
      const reopened = openPartition(disk);
      assertTransactionsRecovered(reopened, label);
      reopened.log.close();
      const again = openPartition(disk);
      assertTransactionsRecovered(again, `${label}, then a clean restart`);
      again.log.close();
    }
  });
}
