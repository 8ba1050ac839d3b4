import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { ConsumerGroupHeartbeatRequest } from "../../../../broker/protocol/messages/index.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";

function joining(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
  return {
    groupId: "kip848",
    memberId: "member-a",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["sales"],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    ...overrides,
  };
}

describe("ConsumerGroupHeartbeat", () => {
  const broker = useRoutedBroker({ "group.consumer.heartbeat.interval.ms": "1500" });
  let salesId: Buffer;
  before(async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 3 }]));
    const metadata = await broker.request(Apis.Metadata, 10, {
      topics: [{ name: "sales", topicId: Buffer.alloc(16) }],
      allowAutoTopicCreation: false,
    });
    salesId = metadata!.topics[0]!.topicId!;
  });

  it("when a member joins (v1, its own id), then it gets an epoch, the configured heartbeat interval and the topic's partitions by topic id", async () => {
    const response = await broker.request(Apis.ConsumerGroupHeartbeat, 1, joining());
    assert.equal(response?.errorCode, ErrorCode.NONE);
    assert.deepEqual([response?.memberId, response?.memberEpoch, response?.heartbeatIntervalMs], ["member-a", 1, 1500]);
    assert.deepEqual(response?.assignment?.topicPartitions, [{ topicId: salesId, partitions: [0, 1, 2] }]);
  });

  it("when a v0 member joins without an id, then the broker names it; a member leaving gets epoch -1", async () => {
    const joined = await broker.request(
      Apis.ConsumerGroupHeartbeat,
      0,
      joining({ groupId: "kip848-v0", memberId: "" }),
    );
    assert.equal(joined?.errorCode, ErrorCode.NONE);
    assert.ok((joined?.memberId ?? "").length > 0);
    const left = await broker.request(
      Apis.ConsumerGroupHeartbeat,
      0,
      joining({ groupId: "kip848-v0", memberId: joined!.memberId!, memberEpoch: -1, topicPartitions: null }),
    );
    assert.deepEqual([left?.errorCode, left?.memberEpoch], [ErrorCode.NONE, -1]);
  });

  it("when a heartbeat names a member the group does not know, then UNKNOWN_MEMBER_ID with no assignment", async () => {
    const response = await broker.request(
      Apis.ConsumerGroupHeartbeat,
      1,
      joining({ memberId: "stranger", memberEpoch: 3, topicPartitions: null }),
    );
    assert.deepEqual([response?.errorCode, response?.assignment], [ErrorCode.UNKNOWN_MEMBER_ID, null]);
  });
});
