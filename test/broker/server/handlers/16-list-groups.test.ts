import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, stableMember } from "./group-requests.ts";

describe("ListGroups", () => {
  const broker = useRoutedBroker();

  const listed = async (version: number) => {
    const response = await broker.request(Apis.ListGroups, version, {});
    assert.equal(response?.errorCode, ErrorCode.NONE);
    return response!.groups.map((g) => [g.groupId, g.protocolType]).sort();
  };

  it("when no group exists, then the list is empty", async () => {
    assert.deepEqual(await listed(2), []);
  });

  it("when groups exist in any state, then each is listed once with its protocol type, at every version", async () => {
    await stableMember(broker, "listed-stable");
    await broker.request(Apis.JoinGroup, 3, joinRequest("listed-connect", "", { protocolType: "connect" }));
    for (const version of [0, 1, 2]) {
      assert.deepEqual(await listed(version), [
        ["listed-connect", "connect"],
        ["listed-stable", "consumer"],
      ]);
    }
  });

  it("when v5 filters by type or v4 by state, then only matching groups come, each with its state and type", async () => {
    await broker.request(Apis.ConsumerGroupHeartbeat, 1, {
      groupId: "listed-kip848",
      memberId: "member-a",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: [],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
    });
    const consumers = await broker.request(Apis.ListGroups, 5, { statesFilter: [], typesFilter: ["Consumer"] });
    assert.deepEqual(consumers?.groups, [
      { groupId: "listed-kip848", protocolType: "consumer", groupState: "Stable", groupType: "consumer" },
    ]);
    const classicStable = await broker.request(Apis.ListGroups, 4, { statesFilter: ["stable"] });
    assert.deepEqual(classicStable?.groups.map((g) => [g.groupId, g.groupState]).sort(), [
      ["listed-kip848", "Stable"],
      ["listed-stable", "Stable"],
    ]);
  });
});
