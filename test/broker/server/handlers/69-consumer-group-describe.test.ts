import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";

describe("ConsumerGroupDescribe", () => {
  const broker = useRoutedBroker();
  before(async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 2 }]));
    await broker.request(Apis.ConsumerGroupHeartbeat, 1, {
      groupId: "described",
      memberId: "member-a",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["sales"],
      subscribedTopicRegex: null,
      serverAssignor: "range",
      topicPartitions: [],
    });
  });

  it("when a consumer group is described, then its epochs, assignor and members with named topics are shown", async () => {
    const response = await broker.request(Apis.ConsumerGroupDescribe, 0, {
      groupIds: ["described", "never-was"],
      includeAuthorizedOperations: false,
    });
    const [described, unknown] = response!.groups;
    assert.deepEqual(
      [described?.errorCode, described?.groupState, described?.groupEpoch, described?.assignorName],
      [ErrorCode.NONE, "Stable", 1, "range"],
    );
    const member = described!.members[0]!;
    assert.deepEqual([member.memberId, member.memberEpoch, member.subscribedTopicNames], ["member-a", 1, ["sales"]]);
    assert.deepEqual(
      member.assignment.topicPartitions.map((t) => [t.topicName, t.partitions]),
      [["sales", [0, 1]]],
    );
    assert.equal(unknown?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });
});
