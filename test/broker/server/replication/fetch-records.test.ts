import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { fetchMessages } from "../../../../broker/server/fetch/delayed-fetch.ts";
import { fetchRecords } from "../../../../broker/server/replication/fetch-records.ts";
import type { PartitionState } from "../../../../broker/server/replication/partition-state.ts";
import { fetchRequest, recordBytes } from "../../../helpers/requests.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { txnBatch } from "../transactional-batches.ts";
import { consumerFetch, followerFetch, HandTimers, records, replicatedPartition } from "./partition-state-fixture.ts";

function produce(state: PartitionState, count: number): void {
  assert.equal(state.appendAsLeader(records(count), 1).errorCode, ErrorCode.NONE);
}

describe("fetchRecords", () => {
  describe("on the leader", () => {
    it("when a follower fetches, then it gets records up to the log end and the high watermark as it was before its fetch", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      produce(state, 2);
      const first = fetchRecords(state, followerFetch(1, 0n));
      assert.ok("chunks" in first);
      assert.equal(first.highWatermark, 0n);
      assert.ok(first.size > 0, "the follower reads past the high watermark");
      const second = fetchRecords(state, followerFetch(1, 2n));
      assert.ok("chunks" in second);
      assert.equal(second.highWatermark, 0n, "this fetch moves it to 2 after reading");
      assert.equal(second.size, 0);
      assert.equal(state.highWatermark, 2n);
      const third = fetchRecords(state, followerFetch(1, 2n));
      assert.ok("chunks" in third);
      assert.equal(third.highWatermark, 2n);
    });

    it("when a consumer reads, then it sees only below the high watermark", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      produce(state, 1);
      const committed = batchOfSize(1, 10).length;
      fetchRecords(state, followerFetch(1, 1n));
      produce(state, 1);
      const read = fetchRecords(state, consumerFetch(0n));
      assert.ok("chunks" in read);
      assert.equal(read.size, committed, "one batch is committed, the second is not");
      assert.equal(read.highWatermark, 1n);
    });

    it("when a fetch carries an older leader epoch, then FENCED_LEADER_EPOCH; a newer one, UNKNOWN_LEADER_EPOCH", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 3, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      assert.equal(
        fetchRecords(state, followerFetch(1, 0n, { currentLeaderEpoch: 2 })).errorCode,
        ErrorCode.FENCED_LEADER_EPOCH,
      );
      assert.equal(
        fetchRecords(state, followerFetch(1, 0n, { currentLeaderEpoch: 4 })).errorCode,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
      );
      assert.equal(fetchRecords(state, followerFetch(1, 0n, { currentLeaderEpoch: 3 })).errorCode, ErrorCode.NONE);
    });

    it("when a replica outside the assignment fetches, then UNKNOWN_LEADER_EPOCH with an epoch, NOT_LEADER_OR_FOLLOWER without", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      assert.equal(
        fetchRecords(state, followerFetch(5, 0n, { currentLeaderEpoch: 0 })).errorCode,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
      );
      assert.equal(fetchRecords(state, followerFetch(5, 0n)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    });

    it("when a reader's last fetched epoch ends before its fetch offset here, then it gets the diverging epoch and no records", (t) => {
      const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
      state.makeFollower({ leader: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1] });
      partition.appendAsFollower(batchOfSize(2, 10, { baseOffset: 0n, partitionLeaderEpoch: 0 }));
      state.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1], isr: [0, 1] });
      produce(state, 2);
      const diverged = fetchRecords(state, followerFetch(0, 3n, { lastFetchedEpoch: 0, currentLeaderEpoch: 1 }));
      assert.ok("chunks" in diverged);
      assert.deepEqual(diverged.divergingEpoch, { epoch: 0, endOffset: 2n });
      assert.equal(diverged.size, 0);
      assert.equal(state.follower(0)?.logEndOffset, -1n, "a diverging fetch does not count as the follower's position");
    });
  });

  describe("a reader's last fetched epoch (Fetch v12)", () => {
    /** A log from offset 5: epoch 1 wrote 5..9 (as a follower), epoch 3 wrote 10..19 leading alone. */
    const epochsOneAndThree = (t: TestContext): PartitionState => {
      const { state, partition } = replicatedPartition(t);
      state.makeFollower({ leader: 1, leaderEpoch: 1, partitionEpoch: 0, replicas: [0, 1] });
      partition.truncateFullyAndStartAt(5n);
      partition.appendAsFollower(batchOfSize(5, 10, { baseOffset: 5n, partitionLeaderEpoch: 1 }));
      state.makeLeader({ leaderEpoch: 3, partitionEpoch: 1, replicas: [0], isr: [0] });
      produce(state, 10);
      assert.deepEqual([partition.logStartOffset, partition.highWatermark], [5n, 20n]);
      return state;
    };
    const read = (state: PartitionState, lastFetchedEpoch: number, fetchOffset: bigint) =>
      fetchRecords(state, consumerFetch(fetchOffset, { lastFetchedEpoch }));

    it("when the reader sends no epoch, or its epoch reaches its fetch offset here, then it reads", (t) => {
      const state = epochsOneAndThree(t);
      for (const [epoch, offset] of [
        [-1, 12n],
        [3, 20n],
        [1, 10n],
      ] as const) {
        const answer = read(state, epoch, offset);
        assert.ok("chunks" in answer, `epoch ${epoch} at ${offset}`);
        assert.equal(answer.divergingEpoch, undefined, `epoch ${epoch} at ${offset}`);
      }
      const fromTen = read(state, 1, 10n);
      assert.ok("chunks" in fromTen);
      assert.equal(fromTen.size, batchOfSize(10, 10).length, "the batch epoch 3 wrote");
    });

    it("when the reader's epoch ends before its fetch offset here, or this log never had it, then it diverges at the end of the largest epoch not after it", (t) => {
      const state = epochsOneAndThree(t);
      for (const [epoch, offset] of [
        [1, 12n],
        [2, 8n],
      ] as const) {
        const answer = read(state, epoch, offset);
        assert.ok("chunks" in answer);
        assert.deepEqual(answer.divergingEpoch, { epoch: 1, endOffset: 10n }, `epoch ${epoch} at ${offset}`);
        assert.equal(answer.size, 0);
      }
      const older = read(state, 0, 8n);
      assert.ok("chunks" in older);
      assert.deepEqual(
        older.divergingEpoch,
        { epoch: 0, endOffset: 5n },
        "older than any here: where the first starts",
      );
    });

    it("when the reader's epoch is newer than any this log knows, or its fetch offset is before the log start, then OFFSET_OUT_OF_RANGE", (t) => {
      const state = epochsOneAndThree(t);
      assert.equal(read(state, 4, 20n).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.equal(read(state, 3, 2n).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    });
  });

  describe("on a follower", () => {
    it("when this replica follows, then produce and leader-only reads get NOT_LEADER_OR_FOLLOWER, and a consumer with client metadata reads below its high watermark", (t) => {
      const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
      state.makeFollower({ leader: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1] });
      assert.equal(state.appendAsLeader(records(1), 1).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      partition.appendAsFollower(batchOfSize(2, 10, { baseOffset: 0n, partitionLeaderEpoch: 0 }));
      state.updateFollowerHighWatermark(1n);
      assert.equal(fetchRecords(state, consumerFetch(0n)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const read = fetchRecords(state, consumerFetch(0n, { fetchOnlyLeader: false }));
      assert.ok("chunks" in read);
      assert.equal(read.highWatermark, 1n);
      assert.equal(read.size, 0, "the only batch holds offset 1, at the high watermark");
    });
  });

  it("when a follower's long-poll fetch waits, then an append on the leader answers it at once, and its position counts once", async (t) => {
    const { state, partition } = replicatedPartition(t);
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const expiry = new HandTimers();
    const request = {
      ...fetchRequest([{ topic: "sales", partition: 0, fetchOffset: 0n }], { maxWaitMs: 30_000 }),
      replicaId: 1,
    };
    const lookup = {
      partition: (topic: string, index: number) => (topic === "sales" && index === 0 ? partition : undefined),
    };
    const parked = fetchMessages(request, lookup, expiry);
    assert.ok(parked instanceof Promise);
    assert.equal(state.follower(1)?.state.lastFetchTimeMs, state.now());
    const before = state.follower(1)!.state;

    produce(state, 2);
    const answer = await parked;
    assert.equal(expiry.running, 0, "answered by the append, not by max wait");
    assert.ok(recordBytes(answer.responses[0]!.partitions[0]!.records).length > 0);
    assert.equal(state.highWatermark, 0n, "the records are not committed until the follower fetches past them");
    assert.deepEqual(state.follower(1)!.state, before, "the re-read of a parked fetch does not count as a new fetch");
  });

  describe("read_committed (isolation level 1)", () => {
    const committed = (fetchOffset: bigint, more = {}) => consumerFetch(fetchOffset, { isolationLevel: 1, ...more });
    const marker = (producerId: bigint, commit: boolean) => ({
      producerId,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      commit,
    });

    it("when a marker is written but not replicated yet, then read_committed stops at the transaction's start until the follower passes the marker", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      assert.equal(state.appendAsLeader(records(1), 1).errorCode, ErrorCode.NONE); // 0
      assert.equal(state.appendAsLeader(txnBatch(7n, 0), 1).errorCode, ErrorCode.NONE); // 1
      const appended = state.appendTxnMarkerAsLeader(marker(7n, true)); // 2
      assert.equal(appended.requiredOffset, 3n);
      fetchRecords(state, followerFetch(1, 2n));
      const before = fetchRecords(state, committed(0n));
      assert.ok("chunks" in before);
      assert.deepEqual([before.highWatermark, before.lastStableOffset], [2n, 1n]);
      assert.equal(before.size, records(1).length, "only the record before the transaction");
      assert.deepEqual(before.abortedTransactions, []);
      fetchRecords(state, followerFetch(1, 3n));
      const after = fetchRecords(state, committed(0n));
      assert.ok("chunks" in after);
      assert.deepEqual([after.highWatermark, after.lastStableOffset], [3n, 3n]);
      assert.ok(after.size > before.size);
    });

    it("when a follower fetches with read_committed, then it still reads to the log end and gets no aborted list", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      state.appendAsLeader(txnBatch(7n, 0), 1);
      state.appendTxnMarkerAsLeader(marker(7n, false));
      const read = fetchRecords(state, followerFetch(1, 0n, { isolationLevel: 1 }));
      assert.ok("chunks" in read);
      assert.equal(read.abortedTransactions, null);
      assert.equal(read.size, txnBatch(7n, 0).length + 78);
    });

    it("when aborted transactions lie beyond what a read returns, then they are not listed", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0], isr: [0] });
      state.appendAsLeader(txnBatch(7n, 0), 1); // 0
      state.appendTxnMarkerAsLeader(marker(7n, false)); // 1
      state.appendAsLeader(txnBatch(8n, 0), 1); // 2
      state.appendTxnMarkerAsLeader(marker(8n, false)); // 3
      const first = fetchRecords(state, committed(0n, { maxBytes: 1, minOneBatch: true }));
      assert.ok("chunks" in first);
      assert.deepEqual(first.abortedTransactions, [{ producerId: 7n, firstOffset: 0n }]);
      const all = fetchRecords(state, committed(0n));
      assert.ok("chunks" in all);
      assert.deepEqual(all.abortedTransactions, [
        { producerId: 7n, firstOffset: 0n },
        { producerId: 8n, firstOffset: 2n },
      ]);
      const uncommitted = fetchRecords(state, consumerFetch(0n));
      assert.ok("chunks" in uncommitted);
      assert.equal(uncommitted.abortedTransactions, null);
      assert.equal(uncommitted.lastStableOffset, 4n);
    });
  });
});
