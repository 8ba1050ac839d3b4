// A hosted partition whose log an I/O failure took offline (partition.ts, replication/fetch-records.ts,
// replication/partition-state.ts): produce, fetch, ListOffsets and OffsetForLeaderEpoch answer
// KAFKA_STORAGE_ERROR, as Kafka answers for a partition in an offline log dir, the disk is not
// touched again, and readers waiting on the partition wake to that answer.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { fetchRecords } from "../../../broker/server/replication/fetch-records.ts";
import { batchOfSize } from "../storage/batch-builder.ts";
import { FaultyFileSystem, ioError } from "../storage/faulty-file-system.ts";
import { consumerFetch, followerFetch, leaderAlone, records } from "./replication/partition-state-fixture.ts";

function partitionOnFailingDisk(t: Parameters<typeof leaderAlone>[0]) {
  const faulty = new FaultyFileSystem();
  const leader = leaderAlone(t, { fs: faulty, logConfig: { flushIntervalMessages: 1 } });
  assert.equal(leader.state.appendAsLeader(records(2), 1).errorCode, ErrorCode.NONE);
  faulty.fail("sync", { path: ".log", error: (path) => ioError("EIO", "fsync", path) });
  return { faulty, ...leader };
}

describe("a partition whose log is offline", () => {
  for (const [kind, batch] of [
    ["a plain batch", () => records(1)],
    ["an idempotent producer's batch", () => batchOfSize(1, 10, { producerId: 5n, producerEpoch: 0, baseSequence: 0 })],
  ] as const) {
    it(`when the fsync of ${kind} fails, then the produce answers KAFKA_STORAGE_ERROR naming the partition and cause, and readers wake`, (t) => {
      const { state, partition } = partitionOnFailingDisk(t);
      let woken = 0;
      partition.onAppend(() => woken++);
      const outcome = state.appendAsLeader(batch(), 1);
      assert.equal(outcome.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.match(outcome.errorMessage ?? "", /^the log of sales-0 is offline: EIO: i\/o error, fsync/);
      assert.equal(woken, 1);
      assert.equal(state.highWatermark, 2n, "nothing more is committed");
    });
  }

  it("when more is produced, then it answers KAFKA_STORAGE_ERROR without touching the disk, idempotent batches too", (t) => {
    const { state, faulty } = partitionOnFailingDisk(t);
    state.appendAsLeader(records(1), 1);
    const operations = faulty.operations.length;
    assert.equal(state.appendAsLeader(records(1), 1).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(state.appendAsLeader(records(1), -1).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const sequenced = batchOfSize(1, 10, { producerId: 5n, producerEpoch: 0, baseSequence: 0 });
    assert.equal(state.appendAsLeader(sequenced, 1).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(faulty.operations.length, operations);
  });

  it("when it is fetched, listed or asked for an epoch's end, then each answers KAFKA_STORAGE_ERROR", (t) => {
    const { state } = partitionOnFailingDisk(t);
    state.appendAsLeader(records(1), 1);
    assert.equal(fetchRecords(state, consumerFetch(0n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(fetchRecords(state, followerFetch(1, 0n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(state.offsetSnapshot(-1, true).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(state.lastOffsetForLeaderEpoch(-1, 0, true).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  });
});
