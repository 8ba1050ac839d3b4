import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createPartitionState,
  EARLIEST,
  LATEST,
  PauseState,
  partitionKey,
} from "../../../../broker/client/consumer/partition-state.ts";

describe("partition state", () => {
  it("when a partition is first seen, then nothing is resolved or committed, and it resets to the earliest or latest offset as fromBeginning says", () => {
    assert.deepEqual(createPartitionState("sales", 3, true), {
      topic: "sales",
      partition: 3,
      key: partitionKey("sales", 3),
      resolved: null,
      committed: null,
      reset: EARLIEST,
      revoked: false,
    });
    assert.equal(createPartitionState("sales", 3, false).reset, LATEST);
  });

  it("when keys are made, then topic names that run into partition numbers still give distinct keys", () => {
    assert.notEqual(partitionKey("a1", 2), partitionKey("a", 12));
    assert.equal(partitionKey("a", 12), partitionKey("a", 12));
  });
});

describe("PauseState (kafkajs's pause and resume)", () => {
  const paused = (state: PauseState, topic: string, partitions: number[]) =>
    partitions.filter((partition) => state.isPaused(topic, partition));

  it("when nothing was paused, then no partition is", () => {
    assert.deepEqual(paused(new PauseState(), "sales", [0, 1]), []);
  });

  it("when a whole topic is paused, then all its partitions are, other topics not; resuming it resumes all", () => {
    const state = new PauseState();
    state.pause([{ topic: "sales" }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), [0, 1, 2]);
    assert.deepEqual(paused(state, "refunds", [0]), []);
    state.resume([{ topic: "sales" }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), []);
  });

  it("when single partitions of a paused topic are resumed, then only they run again, until the topic is paused again", () => {
    const state = new PauseState();
    state.pause([{ topic: "sales" }]);
    state.resume([{ topic: "sales", partitions: [1] }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), [0, 2]);
    state.pause([{ topic: "sales" }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), [0, 1, 2]);
  });

  it("when single partitions are paused, then only they; pausing partitions of a paused topic narrows the pause to them", () => {
    const state = new PauseState();
    state.pause([{ topic: "sales", partitions: [0, 2] }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), [0, 2]);
    state.resume([{ topic: "sales", partitions: [0] }]);
    assert.deepEqual(paused(state, "sales", [0, 1, 2]), [2]);
    state.pause([{ topic: "refunds" }]);
    state.pause([{ topic: "refunds", partitions: [1] }]);
    assert.deepEqual(paused(state, "refunds", [0, 1, 2]), [1]);
  });
});
