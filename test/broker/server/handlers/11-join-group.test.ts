import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, restartedStaticMember } from "./group-requests.ts";

describe("JoinGroup", () => {
  const broker = useRoutedBroker();

  it("when a new member joins with v4 or later, then it is given an id to join with; joining with it makes it the leader of generation 1", async () => {
    const asked = await broker.request(Apis.JoinGroup, 5, joinRequest("join-v5"));
    assert.equal(asked?.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(asked!.memberId, /^router-test-/);

    const joined = await broker.request(Apis.JoinGroup, 5, joinRequest("join-v5", asked!.memberId));
    assert.equal(joined?.errorCode, ErrorCode.NONE);
    assert.equal(joined?.memberId, asked!.memberId);
    assert.equal(joined?.leader, asked!.memberId);
    assert.equal(joined?.generationId, 1);
    assert.equal(joined?.protocolName, "roundrobin");
    assert.deepEqual(
      joined?.members.map((m) => [m.memberId, m.metadata.toString()]),
      [[asked!.memberId, "subscription"]],
    );
  });

  it("when a new member joins with a version before 4, then it is in at once, under an id the broker chose", async () => {
    const joined = await broker.request(Apis.JoinGroup, 3, joinRequest("join-v3"));
    assert.equal(joined?.errorCode, ErrorCode.NONE);
    assert.match(joined!.memberId, /^router-test-/);
    assert.equal(joined?.leader, joined?.memberId);
  });

  it("when the group id is empty, then INVALID_GROUP_ID", async () => {
    const joined = await broker.request(Apis.JoinGroup, 5, joinRequest(""));
    assert.equal(joined?.errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal(joined?.protocolName, "");
  });

  it("when the session timeout is below group.min.session.timeout.ms, then INVALID_SESSION_TIMEOUT", async () => {
    const joined = await broker.request(Apis.JoinGroup, 3, joinRequest("join-short", "", { sessionTimeoutMs: 10 }));
    assert.equal(joined?.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it("when a member offers no protocol the group uses, then INCONSISTENT_GROUP_PROTOCOL", async () => {
    await broker.request(Apis.JoinGroup, 3, joinRequest("join-mixed"));
    const other = await broker.request(
      Apis.JoinGroup,
      3,
      joinRequest("join-mixed", "", { protocols: [{ name: "range", metadata: Buffer.alloc(0) }] }),
    );
    assert.equal(other?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it("when a static member joins with v5 and no member id, then it is in at once; restarted, it takes its place in the same generation and its old id is fenced", async () => {
    const { old, current } = await restartedStaticMember(broker, "join-static");
    assert.notEqual(current.memberId, old.memberId);
    assert.match(current.memberId, /^till-1-/);
    assert.equal(current.generationId, old.generationId);
    const oldAgain = await broker.request(
      Apis.JoinGroup,
      5,
      joinRequest("join-static", old.memberId, { groupInstanceId: "till-1" }),
    );
    assert.equal(oldAgain?.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const described = await broker.request(Apis.DescribeGroups, 4, {
      groups: ["join-static"],
      includeAuthorizedOperations: false,
    });
    assert.deepEqual(
      described?.groups[0]?.members.map((member) => [member.memberId, member.groupInstanceId]),
      [[current.memberId, "till-1"]],
    );
  });
});
