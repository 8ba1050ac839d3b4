import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { ConsumerGroup, ConsumerGroupMember, topicIdKey } from "../../../../broker/server/groups/consumer-group.ts";
import {
  describeAsClassicGroup,
  describeConsumerGroup,
  describedUnknownConsumerGroup,
  listedConsumerGroup,
} from "../../../../broker/server/groups/consumer-group-admin.ts";

const ID = Buffer.alloc(16, 3);

function groupOfOne(): ConsumerGroup {
  const group = new ConsumerGroup("g");
  const member = new ConsumerGroupMember({
    memberId: "m",
    instanceId: "till-1",
    rackId: null,
    clientId: "c",
    clientHost: "h",
  });
  member.memberEpoch = 2;
  // Partition 2 of its target is still held elsewhere.
  member.state = "unreleased_partitions";
  member.subscribedTopicNames = ["orders"];
  group.addMember(member);
  group.updateHoldings(member, new Map([[topicIdKey(ID), new Set([1, 0])]]), new Map());
  group.targetAssignment.set("m", new Map([[topicIdKey(ID), new Set([0, 1, 2])]]));
  group.groupEpoch = 2;
  group.assignmentEpoch = 2;
  group.assignorName = "uniform";
  return group;
}

describe("describing consumer-protocol groups", () => {
  it("when described, then epochs, the assignor and each member's assignment and target are shown with topic names", () => {
    const described = describeConsumerGroup(groupOfOne(), (topicId) =>
      topicId === topicIdKey(ID) ? "orders" : undefined,
    );
    assert.deepEqual(
      [
        described.errorCode,
        described.groupState,
        described.groupEpoch,
        described.assignmentEpoch,
        described.assignorName,
      ],
      [ErrorCode.NONE, "Reconciling", 2, 2, "uniform"],
    );
    const [member] = described.members;
    assert.deepEqual(member!.assignment, [{ topicId: ID, topicName: "orders", partitions: [0, 1] }]);
    assert.deepEqual(member!.targetAssignment, [{ topicId: ID, topicName: "orders", partitions: [0, 1, 2] }]);
    assert.deepEqual(
      [member!.memberEpoch, member!.instanceId, member!.subscribedTopicNames],
      [2, "till-1", ["orders"]],
    );
  });

  it("when a consumer group shows in DescribeGroups and ListGroups, then with protocol type consumer and its state", () => {
    const group = groupOfOne();
    const classic = describeAsClassicGroup(group);
    assert.deepEqual(
      [classic.protocolType, classic.protocolName, classic.state],
      ["consumer", "uniform", "Reconciling"],
    );
    assert.deepEqual(
      classic.members.map((m) => [m.memberId, m.groupInstanceId, m.assignment.length]),
      [["m", "till-1", 0]],
    );
    assert.deepEqual(listedConsumerGroup(group), {
      groupId: "g",
      protocolType: "consumer",
      state: "Reconciling",
      groupType: "consumer",
    });
  });

  it("when a group is unknown, then Dead with the error given", () => {
    const unknown = describedUnknownConsumerGroup("x", ErrorCode.GROUP_ID_NOT_FOUND, "no");
    assert.deepEqual(
      [unknown.groupState, unknown.errorCode, unknown.members],
      ["Dead", ErrorCode.GROUP_ID_NOT_FOUND, []],
    );
  });
});
