import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, stableMember } from "./group-requests.ts";

describe("DescribeGroups", () => {
  const broker = useRoutedBroker();

  const describeGroups = async (version: number, ...groups: string[]) =>
    (await broker.request(Apis.DescribeGroups, version, { groups, includeAuthorizedOperations: false }))!.groups;

  it("when a group is stable, then its protocol and each member with client, host, metadata and assignment", async () => {
    const member = await stableMember(broker, "described", Buffer.from("partitions 0-2"));
    const [group] = await describeGroups(4, "described");
    assert.equal(group?.errorCode, ErrorCode.NONE);
    assert.equal(group?.groupState, "Stable");
    assert.equal(group?.protocolType, "consumer");
    assert.equal(group?.protocolData, "roundrobin");
    assert.equal(group?.authorizedOperations, -2147483648, "not asked for: INT32_MIN");
    assert.deepEqual(
      group?.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.memberMetadata.toString(),
        assignment: m.memberAssignment.toString(),
      })),
      [
        {
          memberId: member.memberId,
          clientId: "router-test",
          clientHost: "127.0.0.1",
          metadata: "subscription",
          assignment: "partitions 0-2",
        },
      ],
    );
  });

  it("when a group is still rebalancing, then its members are listed without metadata or assignment", async () => {
    await broker.request(Apis.JoinGroup, 3, joinRequest("described-joining"));
    const [group] = await describeGroups(0, "described-joining");
    assert.equal(group?.groupState, "CompletingRebalance");
    assert.equal(group?.protocolData, "");
    assert.equal(group?.members.length, 1);
    assert.equal(group?.members[0]?.memberMetadata.length, 0);
    assert.equal(group?.members[0]?.memberAssignment.length, 0);
  });

  it("when several groups are asked for, then each is answered in order, an unknown one as Dead without error", async () => {
    await stableMember(broker, "described-too");
    const groups = await describeGroups(4, "no-such-group", "described-too");
    assert.deepEqual(
      groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members.length]),
      [
        ["no-such-group", ErrorCode.NONE, "Dead", 0],
        ["described-too", ErrorCode.NONE, "Stable", 1],
      ],
    );
  });
});
