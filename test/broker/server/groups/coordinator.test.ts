import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import type { OffsetsLogRecord } from "../../../../broker/server/groups/group-metadata-manager.ts";
import type { OffsetCommitRequest } from "../../../../broker/server/groups/types.ts";
import {
  consumerJoin,
  joinWithNewId,
  ManualScheduler,
  MemoryOffsetsLog,
  settle,
  stableSingleMemberGroup,
  startCoordinator,
  track,
} from "./helpers.ts";

/** An offsets log whose appends wait until the test lets them through. */
class HeldOffsetsLog extends MemoryOffsetsLog {
  private held: (() => void)[] = [];

  get waitingAppends(): number {
    return this.held.length;
  }

  override async append(partition: number, records: OffsetsLogRecord[]): Promise<void> {
    await new Promise<void>((resolve) => this.held.push(resolve));
    return super.append(partition, records);
  }

  releaseAll(): void {
    for (const release of this.held.splice(0)) release();
  }
}

function commitTo(groupId: string): OffsetCommitRequest {
  return {
    groupId,
    generationId: -1,
    memberId: "",
    offsets: [{ topic: "sales", partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }],
  };
}

describe("group coordinator", () => {
  it("when the coordinator has not loaded yet or is closed, then requests get retriable coordinator errors and parked joins are answered", async () => {
    const scheduler = new ManualScheduler();
    const coordinator = new GroupCoordinator({
      offsetsLog: new MemoryOffsetsLog(),
      scheduler,
      config: { groupMinSessionTimeoutMs: 1_000 },
    });
    assert.equal((await coordinator.join(consumerJoin())).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await coordinator.load();

    const first = await stableSingleMemberGroup(coordinator);
    const parked = await joinWithNewId(coordinator);
    await settle();
    assert.equal(parked.done, false);
    assert.ok(scheduler.activeTimerCount() > 0);

    await coordinator.close();
    await settle();
    assert.equal(parked.value.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(scheduler.activeTimerCount(), 0, "close cancels every timer");
    assert.equal(
      (await coordinator.heartbeat({ groupId: "orders", generationId: 1, memberId: first.memberId })).errorCode,
      ErrorCode.NOT_COORDINATOR,
    );
  });

  it("when a group's commit waits on the log, then later requests for that group wait behind it and other groups do not", async () => {
    const log = new HeldOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    const slowCommit = track(coordinator.commitOffsets(commitTo("orders")));
    await settle();
    assert.equal(log.waitingAppends, 1);

    const sameGroupFetch = track(coordinator.fetchOffsets("orders", null));
    const otherGroupFetch = track(coordinator.fetchOffsets("audit", null));
    await settle();
    assert.equal(otherGroupFetch.done, true, "another group's queue is not held up");
    assert.equal(sameGroupFetch.done, false, "the group's own queue is");

    log.releaseAll();
    await settle();
    assert.deepEqual(slowCommit.value, [{ topic: "sales", partition: 0, errorCode: ErrorCode.NONE }]);
    assert.equal(sameGroupFetch.value.topics[0]!.partitions[0]!.offset, 1n, "it sees the commit queued before it");
    await coordinator.close();
  });

  it("when a request names no group, then it gets INVALID_GROUP_ID without touching any group", async () => {
    const { coordinator } = await startCoordinator();
    assert.equal((await coordinator.join(consumerJoin({ groupId: "" }))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.deepEqual(await coordinator.leave({ groupId: "", members: [{ memberId: "m", groupInstanceId: null }] }), {
      errorCode: ErrorCode.INVALID_GROUP_ID,
      members: [{ memberId: "m", groupInstanceId: null, errorCode: ErrorCode.INVALID_GROUP_ID }],
    });
    assert.deepEqual((await coordinator.list()).groups, []);
    await coordinator.close();
  });
});
