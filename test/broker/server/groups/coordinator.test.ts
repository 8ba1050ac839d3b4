import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import {
  GroupMetadataManager,
  type OffsetsLogRecord,
  offsetsPartitionFor,
} from "../../../../broker/server/groups/group-metadata-manager.ts";
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

describe("group coordinator failover: the groups of the __consumer_offsets partitions this broker leads", () => {
  const partitions = 4;

  /** A group id whose group `partition` of __consumer_offsets coordinates. */
  const groupIn = (partition: number, name: string): string => {
    for (let suffix = 0; ; suffix += 1) {
      const groupId = `${name}-${suffix}`;
      if (offsetsPartitionFor(groupId, partitions) === partition) return groupId;
    }
  };

  /** A cluster member's coordinator: it serves nothing until told which partitions it leads. */
  async function memberCoordinator(log: MemoryOffsetsLog = new MemoryOffsetsLog()) {
    const scheduler = new ManualScheduler();
    const coordinator = new GroupCoordinator({
      offsetsLog: log,
      scheduler,
      config: { groupMinSessionTimeoutMs: 1_000, offsetsTopicNumPartitions: partitions },
    });
    return { coordinator, scheduler, log };
  }

  /** Offsets another coordinator committed to the log before this one leads the partition. */
  async function committedBefore(log: MemoryOffsetsLog, groupId: string, offset: bigint): Promise<void> {
    await new GroupMetadataManager(log, partitions).storeOffsets(
      groupId,
      [{ topic: "sales", partition: 0, offset, leaderEpoch: 1, metadata: null }],
      1_000n,
    );
  }

  const fetchedOffset = async (coordinator: GroupCoordinator, groupId: string) => {
    const fetched = await coordinator.fetchOffsets(groupId, [{ topic: "sales", partitions: [0] }]);
    return { errorCode: fetched.errorCode, offset: fetched.topics[0]?.partitions[0]?.offset };
  };

  it("when leaderships arrive before startup, then requests wait and only the partitions still led at startup load", async () => {
    const { coordinator } = await memberCoordinator();
    coordinator.onElection(0, 1);
    coordinator.onElection(1, 1);
    coordinator.onResignation(1, 2);
    assert.equal(
      (await coordinator.fetchOffsets(groupIn(0, "g"), null)).errorCode,
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );

    await coordinator.startup();
    assert.deepEqual(coordinator.ledPartitions(), [{ partition: 0, leaderEpoch: 1, loaded: true }]);
    assert.equal((await coordinator.fetchOffsets(groupIn(0, "g"), null)).errorCode, ErrorCode.NONE);
    assert.equal((await coordinator.fetchOffsets(groupIn(1, "g"), null)).errorCode, ErrorCode.NOT_COORDINATOR);
    await coordinator.close();
  });

  it("when elected while the replica is not all committed, then its groups get COORDINATOR_LOAD_IN_PROGRESS (a heartbeat NONE, as Kafka) until it loads the committed offsets", async () => {
    const log = new MemoryOffsetsLog();
    const loading = groupIn(2, "loading");
    const elsewhere = groupIn(3, "elsewhere");
    await committedBefore(log, loading, 42n);
    const { coordinator } = await memberCoordinator(log);
    await coordinator.startup();
    log.holdLoads = true;
    coordinator.onElection(2, 5);
    await settle();
    assert.equal(log.waitingLoads, 1);

    const wait = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    assert.equal((await coordinator.join(consumerJoin({ groupId: loading }))).errorCode, wait);
    assert.equal(
      (await coordinator.sync({ groupId: loading, generationId: 1, memberId: "m", assignments: [] })).errorCode,
      wait,
    );
    assert.equal(
      (await coordinator.heartbeat({ groupId: loading, generationId: 1, memberId: "m" })).errorCode,
      ErrorCode.NONE,
    );
    assert.deepEqual(await fetchedOffset(coordinator, loading), { errorCode: wait, offset: undefined });
    assert.deepEqual((await coordinator.commitOffsets(commitTo(loading)))[0]!.errorCode, wait);
    assert.equal((await coordinator.describe([loading]))[0]!.errorCode, wait);
    assert.deepEqual(await coordinator.list(), { errorCode: wait, groups: [] });
    assert.equal((await coordinator.fetchOffsets(elsewhere, null)).errorCode, ErrorCode.NOT_COORDINATOR);

    log.releaseLoads();
    await settle();
    assert.deepEqual(await fetchedOffset(coordinator, loading), { errorCode: ErrorCode.NONE, offset: 42n });
    assert.deepEqual(await coordinator.list(), {
      errorCode: ErrorCode.NONE,
      groups: [{ groupId: loading, protocolType: "", state: "Empty" }],
    });
    await coordinator.close();
  });

  it("when it stops leading a partition, then each API answers its groups NOT_COORDINATOR as Kafka does, parked joins are answered, their timers stop and other partitions' groups carry on", async () => {
    const { coordinator, scheduler } = await memberCoordinator();
    await coordinator.startup();
    coordinator.onElection(0, 1);
    coordinator.onElection(1, 1);
    await settle();
    const staying = groupIn(1, "staying");
    const moving = groupIn(0, "moving");
    const stayer = await stableSingleMemberGroup(coordinator, { groupId: staying });
    const timersOfStayingGroup = scheduler.activeTimerCount();
    const mover = await stableSingleMemberGroup(coordinator, { groupId: moving });
    assert.deepEqual(
      await coordinator.commitOffsets({
        ...commitTo(moving),
        generationId: mover.generationId,
        memberId: mover.memberId,
      }),
      [{ topic: "sales", partition: 0, errorCode: ErrorCode.NONE }],
    );
    const parked = await joinWithNewId(coordinator, { groupId: moving });
    await settle();
    assert.equal(parked.done, false, "the newcomer waits for the member to rejoin");

    coordinator.onResignation(0, 2);
    await settle();
    const notHere = ErrorCode.NOT_COORDINATOR;
    assert.equal(parked.value.errorCode, notHere, "the parked join is answered");
    assert.equal(scheduler.activeTimerCount(), timersOfStayingGroup, "the moved group's timers stop");
    const member = { groupId: moving, generationId: mover.generationId, memberId: mover.memberId };
    assert.equal(
      (await coordinator.join(consumerJoin({ groupId: moving, memberId: mover.memberId }))).errorCode,
      notHere,
    );
    assert.equal((await coordinator.sync({ ...member, assignments: [] })).errorCode, notHere);
    assert.equal((await coordinator.heartbeat(member)).errorCode, notHere);
    assert.deepEqual(
      await coordinator.leave({ groupId: moving, members: [{ memberId: mover.memberId, groupInstanceId: null }] }),
      { errorCode: notHere, members: [] },
      "LeaveGroup answers at the top level only",
    );
    assert.deepEqual(await coordinator.commitOffsets({ ...commitTo(moving), ...member }), [
      { topic: "sales", partition: 0, errorCode: notHere },
    ]);
    assert.deepEqual(await coordinator.fetchOffsets(moving, null), { errorCode: notHere, topics: [] });
    assert.equal((await coordinator.describe([moving]))[0]!.errorCode, notHere);
    assert.deepEqual(await coordinator.delete([moving]), [{ groupId: moving, errorCode: notHere }]);

    assert.deepEqual(
      (await coordinator.list()).groups.map((group) => group.groupId),
      [staying],
    );
    assert.equal(
      (await coordinator.heartbeat({ groupId: staying, generationId: stayer.generationId, memberId: stayer.memberId }))
        .errorCode,
      ErrorCode.NONE,
    );
    assert.deepEqual(coordinator.ledPartitions(), [{ partition: 1, leaderEpoch: 1, loaded: true }]);
    await coordinator.close();
  });

  it("when it leads a partition again, then the groups reload from the log: committed offsets survive and members must join again", async () => {
    const { coordinator } = await memberCoordinator();
    await coordinator.startup();
    coordinator.onElection(0, 1);
    await settle();
    const groupId = groupIn(0, "back");
    const joined = await stableSingleMemberGroup(coordinator, { groupId });
    const member = { groupId, generationId: joined.generationId, memberId: joined.memberId };
    await coordinator.commitOffsets({
      ...commitTo(groupId),
      ...member,
      offsets: [{ ...commitTo(groupId).offsets[0]!, offset: 7n }],
    });

    coordinator.onResignation(0, 2);
    coordinator.onElection(0, 3);
    await settle();
    assert.deepEqual(coordinator.ledPartitions(), [{ partition: 0, leaderEpoch: 3, loaded: true }]);
    assert.deepEqual(await fetchedOffset(coordinator, groupId), { errorCode: ErrorCode.NONE, offset: 7n });
    assert.equal((await coordinator.heartbeat(member)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await coordinator.describe([groupId]))[0]!.state, "Empty");
    await coordinator.close();
  });

  it("when the leadership is lost before the partition loaded, then nothing loads; news of an older epoch is ignored", async () => {
    const log = new MemoryOffsetsLog();
    const groupId = groupIn(0, "lost");
    await committedBefore(log, groupId, 9n);
    const { coordinator } = await memberCoordinator(log);
    await coordinator.startup();
    log.holdLoads = true;
    coordinator.onElection(0, 5);
    coordinator.onElection(0, 6);
    coordinator.onResignation(0, 4);
    assert.deepEqual(coordinator.ledPartitions(), [{ partition: 0, leaderEpoch: 6, loaded: false }]);

    coordinator.onResignation(0, 7);
    log.releaseLoads(false);
    await settle();
    assert.deepEqual(coordinator.ledPartitions(), []);
    assert.deepEqual(await fetchedOffset(coordinator, groupId), {
      errorCode: ErrorCode.NOT_COORDINATOR,
      offset: undefined,
    });
    await coordinator.close();
  });

  it("when a commit is being appended as the partition is given up, then it is still answered and what was queued behind it gets NOT_COORDINATOR", async () => {
    const log = new HeldOffsetsLog();
    const { coordinator } = await memberCoordinator(log);
    await coordinator.startup();
    coordinator.onElection(0, 1);
    await settle();
    const groupId = groupIn(0, "inflight");
    const inFlight = track(coordinator.commitOffsets(commitTo(groupId)));
    await settle();
    const queuedBehind = track(coordinator.fetchOffsets(groupId, null));

    coordinator.onResignation(0, 2);
    log.releaseAll();
    await settle();
    assert.deepEqual(inFlight.value, [{ topic: "sales", partition: 0, errorCode: ErrorCode.NONE }]);
    assert.deepEqual(queuedBehind.value, { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
    await coordinator.close();
  });
});
