import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import {
  type AlterPartitionProposal,
  type AlterPartitionUpdate,
  IsrState,
} from "../../../../broker/server/replication/isr-state.ts";
import { HandTimers, RecordingSender, settle } from "./partition-state-fixture.ts";

const proposal = (newIsr: number[]): AlterPartitionProposal => ({
  topic: "sales",
  topicId: Buffer.alloc(16, 1),
  partition: 0,
  leaderId: 0,
  leaderEpoch: 3,
  partitionEpoch: 8,
  newIsr,
});

function setUp(isr = [0, 1]) {
  const sender = new RecordingSender();
  const timers = new HandTimers();
  const committed: AlterPartitionUpdate[] = [];
  const state = new IsrState(sender, timers, silentLogger, (update) => committed.push(update));
  state.commit(isr);
  return { sender, timers, committed, state };
}

describe("IsrState", () => {
  it("when an expansion is proposed, then the new member counts in the maximal ISR at once and in the ISR once committed", async () => {
    const { sender, committed, state } = setUp();
    state.propose("expand", proposal([0, 1, 2]));
    assert.deepEqual([state.isr, state.maximalIsr, state.isPending], [[0, 1], [0, 1, 2], true]);
    assert.deepEqual(sender.last?.newIsr, [0, 1, 2]);
    sender.accept();
    await settle();
    assert.deepEqual([state.isr, state.maximalIsr, state.isPending], [[0, 1, 2], [0, 1, 2], false]);
    assert.deepEqual(committed, [{ kind: "updated", leaderEpoch: 3, partitionEpoch: 9, isr: [0, 1, 2] }]);
  });

  it("when a shrink is proposed, then the leaving member still counts until committed", async () => {
    const { sender, state } = setUp([0, 1, 2]);
    state.propose("shrink", proposal([0, 1]));
    assert.deepEqual(
      [state.isr, state.maximalIsr],
      [
        [0, 1, 2],
        [0, 1, 2],
      ],
    );
    sender.accept();
    await settle();
    assert.deepEqual(state.maximalIsr, [0, 1]);
  });

  it("when a change is pending, then another cannot be proposed", () => {
    const { state } = setUp();
    state.propose("expand", proposal([0, 1, 2]));
    assert.throws(() => state.propose("shrink", proposal([0])), /already pending/);
  });

  it("when the controller answers OPERATION_NOT_ATTEMPTED or INELIGIBLE_REPLICA, then the committed ISR is back and nothing is retried", async () => {
    for (const errorCode of [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.INELIGIBLE_REPLICA]) {
      const { sender, timers, committed, state } = setUp();
      state.propose("expand", proposal([0, 1, 2]));
      sender.sent[0]!.answer({ kind: "error", errorCode });
      await settle();
      assert.deepEqual([state.maximalIsr, state.isPending], [[0, 1], false]);
      assert.equal(timers.running, 0);
      assert.deepEqual(committed, []);
    }
  });

  it("when the controller says this view is stale, then the change stays pending until the metadata commits an ISR", async () => {
    for (const errorCode of [
      ErrorCode.INVALID_UPDATE_VERSION,
      ErrorCode.FENCED_LEADER_EPOCH,
      ErrorCode.NEW_LEADER_ELECTED,
    ]) {
      const { sender, timers, state } = setUp();
      state.propose("expand", proposal([0, 1, 2]));
      sender.sent[0]!.answer({ kind: "error", errorCode });
      await settle();
      assert.equal(state.isPending, true);
      assert.equal(timers.running, 0);
      state.commit([0, 1, 2]);
      assert.equal(state.isPending, false);
    }
  });

  it("when AlterPartition fails otherwise or cannot be sent, then it is sent again after a backoff", async () => {
    const { sender, timers, state } = setUp();
    state.propose("expand", proposal([0, 1, 2]));
    sender.sent[0]!.answer({ kind: "error", errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
    await settle();
    assert.equal(sender.sent.length, 1);
    timers.fireAll();
    assert.equal(sender.sent.length, 2);
    assert.deepEqual(sender.last, proposal([0, 1, 2]));
  });

  it("when an answer is for another leader epoch or an older partition epoch, then it is ignored and the change stays pending", async () => {
    const { sender, committed, state } = setUp();
    state.propose("expand", proposal([0, 1, 2]));
    sender.sent[0]!.answer({ kind: "updated", leaderEpoch: 4, partitionEpoch: 9, isr: [0, 1, 2] });
    await settle();
    assert.deepEqual([state.isPending, committed.length], [true, 0]);
  });

  it("when the metadata commits an ISR while a change is out, then the change's answer is ignored", async () => {
    const { sender, committed, state } = setUp();
    state.propose("expand", proposal([0, 1, 2]));
    state.commit([0]);
    sender.accept();
    await settle();
    assert.deepEqual([state.isr, committed.length], [[0], 0]);
  });
});
