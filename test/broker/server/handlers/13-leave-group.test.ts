import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { restartedStaticMember, stableMember } from "./group-requests.ts";

describe("LeaveGroup", () => {
  const broker = useRoutedBroker();

  const groupState = async (groupId: string) =>
    (await broker.request(Apis.DescribeGroups, 4, { groups: [groupId], includeAuthorizedOperations: false }))?.groups[0]
      ?.groupState;

  it("when the only member leaves with v1, then NONE and the group is empty", async () => {
    const member = await stableMember(broker, "leave-v1");
    const left = await broker.request(Apis.LeaveGroup, 1, {
      groupId: "leave-v1",
      memberId: member.memberId,
      members: [],
    });
    assert.equal(left?.errorCode, ErrorCode.NONE);
    assert.equal(await groupState("leave-v1"), "Empty");
  });

  it("when an unknown member leaves with v2, then its error is the response's", async () => {
    await stableMember(broker, "leave-v2");
    const left = await broker.request(Apis.LeaveGroup, 2, { groupId: "leave-v2", memberId: "stranger", members: [] });
    assert.equal(left?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await groupState("leave-v2"), "Stable");
  });

  it("when v3 names several members, then each gets its own result and the known one is gone", async () => {
    const member = await stableMember(broker, "leave-v3");
    const left = await broker.request(Apis.LeaveGroup, 3, {
      groupId: "leave-v3",
      memberId: "",
      members: [
        { memberId: member.memberId, groupInstanceId: null, reason: null },
        { memberId: "stranger", groupInstanceId: null, reason: null },
      ],
    });
    assert.equal(left?.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      left?.members?.map((m) => [m.memberId, m.errorCode]),
      [
        [member.memberId, ErrorCode.NONE],
        ["stranger", ErrorCode.UNKNOWN_MEMBER_ID],
      ],
    );
    assert.equal(await groupState("leave-v3"), "Empty");
  });

  it("when the group id is empty, then INVALID_GROUP_ID for the request and, with v3, for every member", async () => {
    const v1 = await broker.request(Apis.LeaveGroup, 1, { groupId: "", memberId: "someone", members: [] });
    assert.equal(v1?.errorCode, ErrorCode.INVALID_GROUP_ID);
    const v3 = await broker.request(Apis.LeaveGroup, 3, {
      groupId: "",
      memberId: "",
      members: [{ memberId: "someone", groupInstanceId: null, reason: null }],
    });
    assert.equal(v3?.errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.deepEqual(
      v3?.members?.map((m) => m.errorCode),
      [ErrorCode.INVALID_GROUP_ID],
    );
  });

  it("when v3 names a static member by its instance id alone, then it leaves at once; its old member id is fenced", async () => {
    const { old } = await restartedStaticMember(broker, "leave-static");
    const left = await broker.request(Apis.LeaveGroup, 3, {
      groupId: "leave-static",
      memberId: "",
      members: [
        { memberId: old.memberId, groupInstanceId: "till-1", reason: null },
        { memberId: "", groupInstanceId: "till-1", reason: null },
      ],
    });
    assert.deepEqual(
      left?.members?.map((member) => [member.memberId, member.groupInstanceId, member.errorCode]),
      [
        [old.memberId, "till-1", ErrorCode.FENCED_INSTANCE_ID],
        ["", "till-1", ErrorCode.NONE],
      ],
    );
    assert.equal(await groupState("leave-static"), "Empty");
  });

  it("when v5 names members with reasons (KIP-800), then each leaves and the broker's event journal says why", async () => {
    const member = await stableMember(broker, "leave-v5");
    const left = await broker.request(Apis.LeaveGroup, 5, {
      groupId: "leave-v5",
      memberId: "",
      members: [
        { memberId: member.memberId, groupInstanceId: null, reason: "consumer poll timeout has expired" },
        { memberId: "stranger", groupInstanceId: null, reason: "just passing" },
      ],
    });
    assert.deepEqual(
      left?.members?.map((m) => [m.memberId, m.errorCode]),
      [
        [member.memberId, ErrorCode.NONE],
        ["stranger", ErrorCode.UNKNOWN_MEMBER_ID],
      ],
    );
    assert.equal(await groupState("leave-v5"), "Empty");
    const leftEvents = broker.state.events.history().filter((e) => e.kind === "member-left" && e.group === "leave-v5");
    assert.deepEqual(
      leftEvents.map((e) => [e.memberId, e.cause]),
      [[member.memberId, "LeaveGroup: consumer poll timeout has expired"]],
    );
  });

  it("when v4 (flexible, no reason) names a member, then it leaves and no reason is claimed", async () => {
    const member = await stableMember(broker, "leave-v4");
    const left = await broker.request(Apis.LeaveGroup, 4, {
      groupId: "leave-v4",
      memberId: "",
      members: [{ memberId: member.memberId, groupInstanceId: null, reason: "dropped below v5" }],
    });
    assert.deepEqual(
      left?.members?.map((m) => m.errorCode),
      [ErrorCode.NONE],
    );
    const leftEvent = broker.state.events.history().find((e) => e.kind === "member-left" && e.group === "leave-v4");
    assert.equal(leftEvent?.cause, "LeaveGroup (no reason given)");
  });
});
