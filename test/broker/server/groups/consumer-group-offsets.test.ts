import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { ConsumerGroup, ConsumerGroupMember } from "../../../../broker/server/groups/consumer-group.ts";
import {
  consumerGroupCommitError,
  consumerGroupFetchError,
} from "../../../../broker/server/groups/consumer-group-offsets.ts";
import { heartbeatOf, startConsumerCoordinator } from "./consumer-helpers.ts";

function groupWithMemberAt(epoch: number): ConsumerGroup {
  const group = new ConsumerGroup("g");
  const member = new ConsumerGroupMember({
    memberId: "m",
    instanceId: null,
    rackId: null,
    clientId: "c",
    clientHost: "h",
  });
  member.memberEpoch = epoch;
  group.addMember(member);
  return group;
}

describe("offsets of a consumer-protocol group", () => {
  it("when a member commits, then its current epoch is accepted, an older one is stale and a newer one fenced", () => {
    const group = groupWithMemberAt(5);
    assert.equal(consumerGroupCommitError(group, "m", 5), ErrorCode.NONE);
    assert.equal(consumerGroupCommitError(group, "m", 4), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(consumerGroupCommitError(group, "m", 6), ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal(consumerGroupCommitError(group, "x", 5), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("when someone commits without a member epoch, then only an empty group accepts it", () => {
    assert.equal(consumerGroupCommitError(groupWithMemberAt(5), "", -1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(consumerGroupCommitError(new ConsumerGroup("g"), "", -1), ErrorCode.NONE);
  });

  it("when offsets are fetched, then a member's epoch is checked and a fetch naming no member (admin, v8 and older) is served", () => {
    const group = groupWithMemberAt(5);
    assert.equal(consumerGroupFetchError(group, "m", 5), ErrorCode.NONE);
    assert.equal(consumerGroupFetchError(group, "m", 3), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(consumerGroupFetchError(group, "x", 5), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(consumerGroupFetchError(group, null, -1), ErrorCode.NONE);
  });

  it("when a member commits through the coordinator, then the offsets are stored only with its current epoch", async () => {
    const { coordinator } = await startConsumerCoordinator();
    const joined = await coordinator.consumerGroupHeartbeat(heartbeatOf());
    const offsets = [{ topic: "orders", partition: 1, offset: 7n, leaderEpoch: -1, metadata: null }];
    const commit = (generationId: number) =>
      coordinator.commitOffsets({ groupId: "orders-group", generationId, memberId: "m1", offsets });
    assert.equal((await commit(joined.memberEpoch - 1))[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal((await commit(joined.memberEpoch))[0]?.errorCode, ErrorCode.NONE);
    const stale = await coordinator.fetchOffsets("orders-group", null, { memberId: "m1", memberEpoch: 0 });
    assert.equal(stale.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    const admin = await coordinator.fetchOffsets("orders-group", null);
    assert.deepEqual(
      admin.topics[0]?.partitions.map((p) => [p.partition, p.offset]),
      [[1, 7n]],
    );
  });
});
