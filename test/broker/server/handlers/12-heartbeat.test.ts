import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { routedBroker, useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, restartedStaticMember, stableMember } from "./group-requests.ts";

describe("Heartbeat", () => {
  const broker = useRoutedBroker();

  const heartbeat = (groupId: string, memberId: string, generationId: number) =>
    broker.request(Apis.Heartbeat, 3, { groupId, generationId, memberId, groupInstanceId: null });

  it("when a member of a stable group beats, then NONE", async () => {
    const member = await stableMember(broker, "beat");
    assert.equal((await heartbeat("beat", member.memberId, member.generationId))?.errorCode, ErrorCode.NONE);
  });

  it("when the group is rebalancing because another member joined, then REBALANCE_IN_PROGRESS tells the member to rejoin", async () => {
    const member = await stableMember(broker, "beat-rebalance");
    const asked = await broker.request(Apis.JoinGroup, 5, joinRequest("beat-rebalance"));
    const newcomer = broker.request(Apis.JoinGroup, 5, joinRequest("beat-rebalance", asked!.memberId));
    assert.equal(
      (await heartbeat("beat-rebalance", member.memberId, member.generationId))?.errorCode,
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    await broker.request(Apis.JoinGroup, 5, joinRequest("beat-rebalance", member.memberId));
    await newcomer;
  });

  it("when the generation or the member is wrong, then ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID", async () => {
    const member = await stableMember(broker, "beat-wrong");
    assert.equal(
      (await heartbeat("beat-wrong", member.memberId, member.generationId + 1))?.errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
    assert.equal(
      (await heartbeat("beat-wrong", "stranger", member.generationId))?.errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it("when the group id is empty, then INVALID_GROUP_ID", async () => {
    assert.equal((await heartbeat("", "someone", 1))?.errorCode, ErrorCode.INVALID_GROUP_ID);
  });

  it("when a static member's old member id beats with v3 and its instance id, then FENCED_INSTANCE_ID", async () => {
    const { old, current } = await restartedStaticMember(broker, "beat-static");
    const beat = (member: { memberId: string; generationId: number }) =>
      broker.request(Apis.Heartbeat, 3, { groupId: "beat-static", ...member, groupInstanceId: "till-1" });
    assert.equal((await beat(old))?.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    assert.equal((await beat(current))?.errorCode, ErrorCode.NONE);
  });
});

describe("Heartbeat to a coordinator that stopped", () => {
  it("when the coordinator is closed, then NOT_COORDINATOR sends the member looking for the new one", async (t) => {
    const broker = await routedBroker();
    t.after(() => broker.cleanup());
    const member = await stableMember(broker, "beat-closed");
    await broker.state.groups.close();
    const beat = await broker.request(Apis.Heartbeat, 3, {
      groupId: "beat-closed",
      ...member,
      groupInstanceId: null,
    });
    assert.equal(beat?.errorCode, ErrorCode.NOT_COORDINATOR);
  });
});
