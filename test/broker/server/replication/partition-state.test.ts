import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { fetchRecords } from "../../../../broker/server/replication/fetch-records.ts";
import type { PartitionState } from "../../../../broker/server/replication/partition-state.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { followerFetch, LAG_TIME_MS, records, replicatedPartition, settle } from "./partition-state-fixture.ts";

function produce(state: PartitionState, count: number, acks = -1) {
  const outcome = state.appendAsLeader(records(count), acks);
  assert.equal(outcome.errorCode, ErrorCode.NONE, String(outcome.errorMessage));
  return outcome;
}

describe("PartitionState", () => {
  describe("deleting records", () => {
    it("when the leader deletes up to an offset, then the log starts there; -1 means the high watermark, past it is out of range", (t) => {
      const { state, partition } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0], isr: [0] });
      produce(state, 5);
      assert.deepEqual(state.deleteRecordsOnLeader(2n), { errorCode: ErrorCode.NONE, lowWatermark: 2n });
      assert.equal(state.deleteRecordsOnLeader(6n).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.equal(state.deleteRecordsOnLeader(-3n).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.deepEqual(state.deleteRecordsOnLeader(-1n), { errorCode: ErrorCode.NONE, lowWatermark: 5n });
      assert.equal(partition.logStartOffset, 5n);
    });

    it("when this replica follows, then NOT_LEADER_OR_FOLLOWER and nothing is deleted", (t) => {
      const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
      state.makeFollower({ leader: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1] });
      assert.equal(state.deleteRecordsOnLeader(0n).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      assert.equal(partition.logStartOffset, 0n);
    });

    it("when the log is compacted only, then POLICY_VIOLATION", (t) => {
      const { state } = replicatedPartition(t, { logConfig: { cleanupPolicy: "compact" } });
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0], isr: [0] });
      produce(state, 2);
      assert.equal(state.deleteRecordsOnLeader(1n).errorCode, ErrorCode.POLICY_VIOLATION);
    });
  });

  describe("as leader", () => {
    it("when it becomes leader, then followers it has not heard from hold the high watermark where it was", (t) => {
      const { state, partition } = replicatedPartition(t);
      assert.equal(state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] }), true);
      assert.equal(state.isLeader, true);
      assert.deepEqual(state.isr, [0, 1, 2]);
      produce(state, 3);
      assert.equal(partition.log.logEndOffset, 3n);
      assert.equal(state.highWatermark, 0n);
    });

    it("when ISR followers fetch, then the high watermark is the smallest log end offset among them and the leader", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] });
      produce(state, 5);
      fetchRecords(state, followerFetch(1, 5n));
      assert.equal(state.highWatermark, 0n, "follower 2 has not fetched yet");
      fetchRecords(state, followerFetch(2, 3n));
      assert.equal(state.highWatermark, 3n);
      fetchRecords(state, followerFetch(2, 5n));
      assert.equal(state.highWatermark, 5n);
    });

    it("when a follower fetches from further back than before, then the high watermark does not move back", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      produce(state, 4);
      fetchRecords(state, followerFetch(1, 4n));
      assert.equal(state.highWatermark, 4n);
      fetchRecords(state, followerFetch(1, 1n));
      assert.equal(state.highWatermark, 4n);
      assert.equal(state.follower(1)?.logEndOffset, 1n);
    });

    it("when the ISR is smaller than min.insync.replicas, then acks=all is refused before the append and acks=1 is appended but not committed", (t) => {
      const { state, partition } = replicatedPartition(t, { minInsyncReplicas: 2 });
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0] });
      const refused = state.appendAsLeader(records(1), -1);
      assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
      assert.equal(partition.log.logEndOffset, 0n);
      const accepted = state.appendAsLeader(records(1), 1);
      assert.equal(accepted.errorCode, ErrorCode.NONE);
      assert.equal(partition.log.logEndOffset, 1n);
      assert.equal(state.isUnderMinIsr, true);
      assert.equal(state.highWatermark, 0n, "under min ISR the high watermark stays (Kafka 3.7's rule)");
    });

    it("when min.insync.replicas is larger than the replica count, then the replica count is the minimum", (t) => {
      const { state } = replicatedPartition(t, { minInsyncReplicas: 3 });
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0], isr: [0] });
      const outcome = produce(state, 2);
      assert.equal(state.highWatermark, 2n);
      assert.deepEqual(state.checkEnoughReplicasReachOffset(outcome.requiredOffset), { done: true, errorCode: 0 });
    });

    it("when acks=all waits, then it is done once the high watermark passes its records, and refused if leadership moves", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
      const outcome = produce(state, 3);
      assert.equal(outcome.requiredOffset, 3n);
      assert.deepEqual(state.checkEnoughReplicasReachOffset(3n), { done: false, errorCode: 0 });
      fetchRecords(state, followerFetch(1, 3n));
      assert.deepEqual(state.checkEnoughReplicasReachOffset(3n), { done: true, errorCode: 0 });
      produce(state, 1);
      state.makeFollower({ leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1] });
      assert.deepEqual(state.checkEnoughReplicasReachOffset(4n), {
        done: true,
        errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      });
    });

    it("when the high watermark passed the records but the maximal ISR is below min.insync.replicas, then acks=all gets NOT_ENOUGH_REPLICAS_AFTER_APPEND", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] });
      const outcome = produce(state, 2);
      fetchRecords(state, followerFetch(1, 2n));
      fetchRecords(state, followerFetch(2, 2n));
      state.setMinInsyncReplicas(3);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 1, replicas: [0, 1, 2], isr: [0, 1] });
      assert.deepEqual(state.checkEnoughReplicasReachOffset(outcome.requiredOffset), {
        done: true,
        errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      });
    });

    it("when the metadata it gets is older than what it knows, then it is ignored", (t) => {
      const { state } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 2, partitionEpoch: 5, replicas: [0, 1], isr: [0, 1] });
      assert.equal(state.makeFollower({ leader: 1, leaderEpoch: 1, partitionEpoch: 4, replicas: [0, 1] }), false);
      assert.equal(state.isLeader, true);
      assert.equal(state.leaderEpoch, 2);
    });
  });

  describe("as follower", () => {
    it("when a follower learns a high watermark past its log end, then it keeps its own log end, and never moves back", (t) => {
      const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
      state.makeFollower({ leader: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1] });
      partition.appendAsFollower(batchOfSize(3, 10, { baseOffset: 0n, partitionLeaderEpoch: 0 }));
      state.updateFollowerHighWatermark(10n);
      assert.equal(state.highWatermark, 3n);
      state.updateFollowerHighWatermark(1n);
      assert.equal(state.highWatermark, 3n);
    });
  });

  describe("leader epochs", () => {
    it("when asked for an epoch's end, then the start of the next epoch, the log end for the current one, and nothing below every epoch", (t) => {
      const { state, partition } = replicatedPartition(t, { localBrokerId: 1 });
      state.makeFollower({ leader: 0, leaderEpoch: 1, partitionEpoch: 0, replicas: [0, 1] });
      partition.appendAsFollower(
        Buffer.concat([
          batchOfSize(2, 10, { baseOffset: 0n, partitionLeaderEpoch: 1 }),
          batchOfSize(3, 10, { baseOffset: 2n, partitionLeaderEpoch: 2 }),
        ]),
      );
      state.makeLeader({ leaderEpoch: 4, partitionEpoch: 1, replicas: [0, 1], isr: [0, 1] });
      produce(state, 1);
      assert.deepEqual(state.lastOffsetForLeaderEpoch(-1, 1, true), { errorCode: 0, leaderEpoch: 1, endOffset: 2n });
      assert.deepEqual(state.lastOffsetForLeaderEpoch(-1, 3, true), { errorCode: 0, leaderEpoch: 2, endOffset: 5n });
      assert.deepEqual(state.lastOffsetForLeaderEpoch(4, 4, true), { errorCode: 0, leaderEpoch: 4, endOffset: 6n });
      assert.deepEqual(state.lastOffsetForLeaderEpoch(3, 4, true), {
        errorCode: ErrorCode.FENCED_LEADER_EPOCH,
        leaderEpoch: -1,
        endOffset: -1n,
      });
    });
  });

  describe("ISR changes", () => {
    it("when an ISR member has not caught up for replica.lag.time.max.ms, then the leader proposes the ISR without it, once, and counts it out only when committed", async (t) => {
      const { state, sender, clock } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 4, replicas: [0, 1, 2], isr: [0, 1, 2] });
      fetchRecords(state, followerFetch(1, 0n));
      fetchRecords(state, followerFetch(2, 0n));
      produce(state, 3);
      fetchRecords(state, followerFetch(1, 3n));
      clock.now += LAG_TIME_MS;
      state.maybeShrinkIsr();
      assert.equal(sender.sent.length, 0, "exactly the lag time is still in sync");
      clock.now += 1;
      state.maybeShrinkIsr();
      assert.deepEqual(sender.last, {
        topic: "sales",
        topicId: Buffer.alloc(16, 7),
        partition: 0,
        leaderId: 0,
        leaderEpoch: 0,
        partitionEpoch: 4,
        newIsr: [0, 1],
      });
      assert.deepEqual(state.isr, [0, 1, 2], "pending: still counted until committed");
      assert.equal(state.hasPendingIsrChange, true);
      assert.equal(state.highWatermark, 0n);
      state.maybeShrinkIsr();
      assert.equal(sender.sent.length, 1, "no second proposal while one is pending");

      sender.accept();
      await settle();
      assert.deepEqual(state.isr, [0, 1]);
      assert.equal(state.partitionEpoch, 5);
      assert.equal(state.hasPendingIsrChange, false);
      assert.equal(state.highWatermark, 3n, "the smaller ISR lets the high watermark move");
    });

    it("when a follower's fetch reaches the high watermark and the start of the leader epoch, then it is proposed into the ISR and counted at once", async (t) => {
      const { state, partition, sender } = replicatedPartition(t);
      state.makeFollower({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2] });
      partition.appendAsFollower(batchOfSize(5, 10, { baseOffset: 0n, partitionLeaderEpoch: 0 }));
      state.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1, 2], isr: [0, 1] });
      assert.equal(state.highWatermark, 0n);

      fetchRecords(state, followerFetch(2, 3n));
      assert.equal(sender.sent.length, 0, "at the high watermark but before the epoch's start (5)");
      fetchRecords(state, followerFetch(2, 5n));
      assert.deepEqual(sender.last?.newIsr, [0, 1, 2]);
      assert.deepEqual(state.maximalIsr, [0, 1, 2]);
      assert.deepEqual(state.isr, [0, 1]);

      fetchRecords(state, followerFetch(1, 5n));
      assert.equal(state.highWatermark, 5n, "both the committed and the joining member have 5");
      sender.accept();
      await settle();
      assert.deepEqual(state.isr, [0, 1, 2]);
    });

    it("when a replica may not join (fenced or shutting down), then it is not proposed however far it fetched", (t) => {
      const { state, sender, ineligible } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0] });
      ineligible.add(1);
      fetchRecords(state, followerFetch(1, 0n));
      assert.equal(sender.sent.length, 0);
      ineligible.delete(1);
      fetchRecords(state, followerFetch(1, 0n));
      assert.deepEqual(sender.last?.newIsr, [0, 1]);
    });

    it("when an answer comes after new metadata changed the partition, then it is ignored", async (t) => {
      const { state, sender } = replicatedPartition(t);
      state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0] });
      fetchRecords(state, followerFetch(1, 0n));
      state.makeLeader({ leaderEpoch: 1, partitionEpoch: 3, replicas: [0, 1], isr: [0] });
      sender.accept();
      await settle();
      assert.deepEqual(state.isr, [0]);
      assert.equal(state.partitionEpoch, 3);
    });
  });

  it("holds its high watermark and ISR rules under any sequence of appends, fetches, time and answers", async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("append" as const), count: fc.integer({ min: 1, max: 3 }) }),
            fc.record({
              kind: fc.constant("fetch" as const),
              replica: fc.integer({ min: 1, max: 2 }),
              back: fc.nat(4),
            }),
            fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
            fc.record({ kind: fc.constant("shrink" as const) }),
            fc.record({ kind: fc.constant("answer" as const), accept: fc.boolean() }),
          ),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 3 }),
        async (steps, minIsr) => {
          const { state, partition, sender, clock } = replicatedPartition(t, { minInsyncReplicas: minIsr });
          state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] });
          let answered = 0;
          let previousHighWatermark = state.highWatermark;
          for (const step of steps) {
            if (step.kind === "append") state.appendAsLeader(records(step.count), 1);
            else if (step.kind === "fetch") {
              const end = partition.log.logEndOffset;
              const offset = end - BigInt(Math.min(step.back, Number(end)));
              fetchRecords(state, followerFetch(step.replica, offset));
            } else if (step.kind === "tick") clock.now += step.ms;
            else if (step.kind === "shrink") state.maybeShrinkIsr();
            else if (answered < sender.sent.length) {
              const { proposal, answer } = sender.sent[answered++]!;
              answer(
                step.accept
                  ? {
                      kind: "updated",
                      leaderEpoch: 0,
                      partitionEpoch: proposal.partitionEpoch + 1,
                      isr: proposal.newIsr,
                    }
                  : { kind: "error", errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
              );
              await settle();
            }
            const hw = state.highWatermark;
            assert.ok(hw >= previousHighWatermark, "the high watermark never moves back");
            assert.ok(hw <= partition.log.logEndOffset, "nor past the leader's log end");
            for (const id of state.maximalIsr) {
              const end = id === 0 ? partition.log.logEndOffset : state.follower(id)!.logEndOffset;
              if (hw > previousHighWatermark) assert.ok(end >= hw, `ISR member ${id} has everything below it`);
            }
            if (hw > previousHighWatermark)
              assert.ok(state.isr.length >= Math.min(minIsr, 3), "it moves only at min ISR");
            assert.ok(state.isr.includes(0) && state.maximalIsr.includes(0), "the leader stays in its ISR");
            assert.equal(sender.sent.length - answered <= 1, true, "one ISR change in flight at most");
            previousHighWatermark = hw;
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
