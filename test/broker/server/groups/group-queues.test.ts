import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { GroupQueues } from "../../../../broker/server/groups/group-queues.ts";
import type { KafkaErrorCode } from "../../../../broker/server/groups/types.ts";

/** Queues over partitions whose lifecycle and per-partition answers the test sets; a group's partition is its id's length. */
function queuesWith() {
  const state = { lifecycle: ErrorCode.NONE as KafkaErrorCode, byPartition: new Map<number, KafkaErrorCode>() };
  const queues = new GroupQueues(
    {
      lifecycleError: () => state.lifecycle,
      partitionError: (partition) => state.byPartition.get(partition) ?? ErrorCode.NONE,
    },
    (groupId) => groupId.length,
  );
  return { queues, state };
}

describe("the group queues", () => {
  it("when a group may not be served, then the refusal is the lifecycle's first, an empty id's for membership, then its partition's", () => {
    const { queues, state } = queuesWith();
    assert.equal(queues.refusal("abc", true), ErrorCode.NONE);
    assert.equal(queues.refusal("", true), ErrorCode.INVALID_GROUP_ID);
    assert.equal(queues.refusal("", false), ErrorCode.NONE);
    state.byPartition.set(3, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(queues.refusal("abc", true), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    state.lifecycle = ErrorCode.NOT_COORDINATOR;
    assert.equal(queues.refusal("", true), ErrorCode.NOT_COORDINATOR);
  });

  it("when tasks of one group are queued, then they run one after another, and one refused by then gets its refusal instead", async () => {
    const { queues, state } = queuesWith();
    const order: string[] = [];
    let release = (): void => {};
    const first = queues.run("g", () =>
      new Promise<void>((resolve) => (release = resolve)).then(() => order.push("first")),
    );
    const second = queues.inGroupQueue(
      "g",
      (errorCode) => `refused ${errorCode}`,
      () => "served",
    );
    state.byPartition.set(1, ErrorCode.NOT_COORDINATOR);
    // The first task starts on a later turn; it holds the queue until released.
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await first;
    assert.equal(await second, `refused ${ErrorCode.NOT_COORDINATOR}`);
    assert.deepEqual(order, ["first"]);
  });

  it("when a timer's task is queued, then it runs only while its group is served and still current", async () => {
    const { queues, state } = queuesWith();
    const ran: string[] = [];
    queues.runTimerTask(
      "g",
      () => true,
      () => ran.push("current"),
    );
    queues.runTimerTask(
      "g",
      () => false,
      () => ran.push("replaced"),
    );
    await queues.drain();
    state.lifecycle = ErrorCode.NOT_COORDINATOR;
    queues.runTimerTask(
      "g",
      () => true,
      () => ran.push("closed"),
    );
    await queues.drain();
    assert.deepEqual(ran, ["current"]);
  });
});
