import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { GroupMetadataManager } from "../../../../broker/server/groups/group-metadata-manager.ts";
import { decodeOffsetsRecordKey } from "../../../../broker/server/groups/offsets-record-format.ts";
import type { OffsetCommitRequest } from "../../../../broker/server/groups/types.ts";
import {
  consumerJoin,
  joinWithNewId,
  MemoryOffsetsLog,
  settle,
  stableSingleMemberGroup,
  startCoordinator,
} from "./helpers.ts";

/** A commit of a consumer without group management to group "orders", topic "sales". */
function standaloneCommit(...offsets: [partition: number, offset: bigint][]): OffsetCommitRequest {
  return {
    groupId: "orders",
    generationId: -1,
    memberId: "",
    offsets: offsets.map(([partition, offset]) => ({
      topic: "sales",
      partition,
      offset,
      leaderEpoch: 4,
      metadata: null,
    })),
  };
}

describe("group administration", () => {
  it("when groups are listed, then each shows its protocol type and state, optionally filtered by state", async () => {
    const { coordinator } = await startCoordinator();
    await stableSingleMemberGroup(coordinator, { groupId: "stable-group" });
    await joinWithNewId(coordinator, { groupId: "completing-group" });
    await settle();

    const all = await coordinator.list();
    assert.deepEqual(
      all.groups.sort((left, right) => left.groupId.localeCompare(right.groupId)),
      [
        { groupId: "completing-group", protocolType: "consumer", state: "CompletingRebalance" },
        { groupId: "stable-group", protocolType: "consumer", state: "Stable" },
      ],
    );
    const onlyStable = await coordinator.list(["stable"]);
    assert.deepEqual(
      onlyStable.groups.map((group) => group.groupId),
      ["stable-group"],
    );

    const [unknown] = await coordinator.describe(["missing"]);
    assert.deepEqual(unknown, {
      groupId: "missing",
      errorCode: ErrorCode.NONE,
      state: "Dead",
      protocolType: "",
      protocolName: "",
      members: [],
    });
    await coordinator.close();
  });

  it("when a group is deleted, then its offsets are tombstoned and stay gone after a reload", async () => {
    const log = new MemoryOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    await coordinator.commitOffsets(standaloneCommit([0, 10n], [1, 20n]));
    const memberId = (await coordinator.join(consumerJoin({ groupId: "busy", requireKnownMemberId: false }))).memberId;
    assert.ok(memberId);

    const results = await coordinator.delete(["orders", "busy", "missing"]);
    assert.deepEqual(results, [
      { groupId: "orders", errorCode: ErrorCode.NONE },
      { groupId: "busy", errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: "missing", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    const tombstones = log.allRecords().filter((record) => record.value === null);
    assert.deepEqual(
      tombstones.map((record) => decodeOffsetsRecordKey(record.key)),
      [
        { kind: "offset-commit", key: { groupId: "orders", topic: "sales", partition: 0 } },
        { kind: "offset-commit", key: { groupId: "orders", topic: "sales", partition: 1 } },
      ],
    );
    assert.deepEqual(await coordinator.fetchOffsets("orders", null), { errorCode: ErrorCode.NONE, topics: [] });
    assert.deepEqual((await coordinator.delete(["orders"]))[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    await coordinator.close();

    const reloaded = new GroupMetadataManager(log, 50);
    reloaded.loadPartition(reloaded.partitionFor("orders"));
    assert.equal(reloaded.hasOffsets("orders"), false);
    assert.deepEqual(
      reloaded.fetchOffsets("orders", [{ topic: "sales", partitions: [0] }])[0]!.partitions[0]!.offset,
      -1n,
    );
    assert.equal(reloaded.group("orders"), undefined);
  });

  it("when writing the tombstones fails, then the delete answers COORDINATOR_NOT_AVAILABLE and the group keeps its offsets", async () => {
    const log = new MemoryOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    await coordinator.commitOffsets(standaloneCommit([0, 10n]));
    log.failAppends = true;

    assert.deepEqual(await coordinator.delete(["orders"]), [
      { groupId: "orders", errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE },
    ]);
    assert.deepEqual(
      (await coordinator.list()).groups.map((group) => group.groupId),
      ["orders"],
    );
    const fetched = await coordinator.fetchOffsets("orders", [{ topic: "sales", partitions: [0] }]);
    assert.equal(fetched.topics[0]!.partitions[0]!.offset, 10n);
    await coordinator.close();
  });

  it("when an empty group is deleted while a handed-out member id waits to be used, then that id dies with it", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const handedOut = await coordinator.join(consumerJoin());
    assert.equal(handedOut.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal(scheduler.activeTimerCount(), 1);

    assert.deepEqual(await coordinator.delete(["orders"]), [{ groupId: "orders", errorCode: ErrorCode.NONE }]);
    assert.equal(scheduler.activeTimerCount(), 0);
    const late = await coordinator.join(consumerJoin({ memberId: handedOut.memberId }));
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });
});
