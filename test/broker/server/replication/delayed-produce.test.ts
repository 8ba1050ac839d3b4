import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { awaitAcks } from "../../../../broker/server/replication/delayed-produce.ts";
import { fetchRecords } from "../../../../broker/server/replication/fetch-records.ts";
import type { PartitionState } from "../../../../broker/server/replication/partition-state.ts";
import { followerFetch, HandTimers, LAG_TIME_MS, records, replicatedPartition } from "./partition-state-fixture.ts";

/** Appends with acks=all and starts waiting; `answers` fills in as partitions are answered. */
function produceAll(states: PartitionState[], timers: HandTimers, timeoutMs = 30_000) {
  const answers: (number | undefined)[] = states.map(() => undefined);
  let done = false;
  const acks = states.map((state, i) => {
    const outcome = state.appendAsLeader(records(2), -1);
    assert.equal(outcome.errorCode, ErrorCode.NONE);
    return {
      state,
      requiredOffset: outcome.requiredOffset,
      answer: (code: number) => {
        assert.equal(answers[i], undefined, "answered once");
        answers[i] = code;
      },
    };
  });
  const waiting = awaitAcks(acks, timeoutMs, timers).then(() => {
    done = true;
  });
  return {
    answers,
    waiting,
    get done() {
      return done;
    },
  };
}

describe("awaitAcks", () => {
  it("when every ISR member fetches past the records, then acks=all is answered, by those fetches and nothing else", async (t) => {
    const { state } = replicatedPartition(t);
    const timers = new HandTimers();
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] });
    const produce = produceAll([state], timers);
    await Promise.resolve();
    assert.deepEqual(produce.answers, [undefined]);
    fetchRecords(state, followerFetch(1, 2n));
    assert.deepEqual(produce.answers, [undefined], "one ISR member still lacks them");
    fetchRecords(state, followerFetch(2, 2n));
    assert.deepEqual(produce.answers, [ErrorCode.NONE]);
    await produce.waiting;
    assert.equal(timers.running, 0, "its timer is cancelled");
  });

  it("when the request times out first, then the partitions still waiting answer REQUEST_TIMED_OUT and the others keep their answer", async (t) => {
    const first = replicatedPartition(t);
    const second = replicatedPartition(t);
    const timers = new HandTimers();
    first.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    second.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const produce = produceAll([first.state, second.state], timers, 1_500);
    fetchRecords(first.state, followerFetch(1, 2n));
    assert.deepEqual(produce.answers, [ErrorCode.NONE, undefined]);
    assert.equal(timers.started[0]?.delayMs, 1_500);
    timers.fireAll();
    await produce.waiting;
    assert.deepEqual(produce.answers, [ErrorCode.NONE, ErrorCode.REQUEST_TIMED_OUT]);
  });

  it("when this broker stops leading while acks=all waits, then NOT_LEADER_OR_FOLLOWER at once", async (t) => {
    const { state } = replicatedPartition(t);
    const timers = new HandTimers();
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const produce = produceAll([state], timers);
    state.makeFollower({ leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1] });
    await produce.waiting;
    assert.deepEqual(produce.answers, [ErrorCode.NOT_LEADER_OR_FOLLOWER]);
  });

  it("when the ISR shrinks to the leader while acks=all waits, then the smaller ISR commits the records and the produce succeeds", async (t) => {
    const { state, clock } = replicatedPartition(t);
    const timers = new HandTimers();
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const produce = produceAll([state], timers);
    clock.now += LAG_TIME_MS + 1;
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 1, replicas: [0, 1], isr: [0] });
    await produce.waiting;
    assert.deepEqual(produce.answers, [ErrorCode.NONE]);
  });

  it("when the ISR shrinks below min.insync.replicas while acks=all waits, then the high watermark stays and the produce times out (Kafka 3.7+)", async (t) => {
    const { state } = replicatedPartition(t, { minInsyncReplicas: 2 });
    const timers = new HandTimers();
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    const produce = produceAll([state], timers);
    state.makeLeader({ leaderEpoch: 0, partitionEpoch: 1, replicas: [0, 1], isr: [0] });
    await Promise.resolve();
    assert.deepEqual(produce.answers, [undefined]);
    timers.fireAll();
    await produce.waiting;
    assert.deepEqual(produce.answers, [ErrorCode.REQUEST_TIMED_OUT]);
  });
});
