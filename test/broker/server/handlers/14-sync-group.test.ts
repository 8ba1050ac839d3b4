import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, restartedStaticMember, stableMember } from "./group-requests.ts";

describe("SyncGroup", () => {
  const broker = useRoutedBroker();

  const sync = (groupId: string, memberId: string, generationId: number, assignments: Record<string, string> = {}) =>
    broker.request(Apis.SyncGroup, 3, {
      groupId,
      generationId,
      memberId,
      groupInstanceId: null,
      assignments: Object.entries(assignments).map(([id, text]) => ({ memberId: id, assignment: Buffer.from(text) })),
    });

  it("when the leader hands out assignments, then each member's SyncGroup gets its own", async () => {
    const first = await stableMember(broker, "sync-two");
    const asked = await broker.request(Apis.JoinGroup, 5, joinRequest("sync-two"));
    // The newcomer's join waits for the rebalance, which waits for the first member to rejoin.
    const [secondJoin, firstJoin] = await Promise.all([
      broker.request(Apis.JoinGroup, 5, joinRequest("sync-two", asked!.memberId)),
      broker.request(Apis.JoinGroup, 5, joinRequest("sync-two", first.memberId)),
    ]);
    assert.equal(firstJoin?.errorCode, ErrorCode.NONE);
    assert.equal(secondJoin?.errorCode, ErrorCode.NONE);
    const generation = firstJoin!.generationId!;
    const leader = firstJoin!.leader;
    const follower = leader === first.memberId ? asked!.memberId : first.memberId;

    const [followerSync, leaderSync] = await Promise.all([
      sync("sync-two", follower, generation),
      sync("sync-two", leader, generation, { [leader]: "partitions 0-1", [follower]: "partitions 2-3" }),
    ]);
    assert.equal(leaderSync?.errorCode, ErrorCode.NONE);
    assert.equal(leaderSync?.assignment.toString(), "partitions 0-1");
    assert.equal(followerSync?.errorCode, ErrorCode.NONE);
    assert.equal(followerSync?.assignment.toString(), "partitions 2-3");
  });

  it("when the generation is not the group's, then ILLEGAL_GENERATION and no assignment", async () => {
    const member = await stableMember(broker, "sync-stale");
    const synced = await sync("sync-stale", member.memberId, member.generationId + 1, { [member.memberId]: "x" });
    assert.equal(synced?.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal(synced?.assignment.length, 0);
  });

  it("when the member is unknown, then UNKNOWN_MEMBER_ID", async () => {
    const member = await stableMember(broker, "sync-stranger");
    assert.equal(
      (await sync("sync-stranger", "stranger", member.generationId))?.errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it("when the group id is empty, then INVALID_GROUP_ID", async () => {
    assert.equal((await sync("", "someone", 1))?.errorCode, ErrorCode.INVALID_GROUP_ID);
  });

  it("when a static member restarted, then v3 gives the new member id the old assignment and fences the old id", async () => {
    const { old, current } = await restartedStaticMember(broker, "sync-static", Buffer.from("p0-p1"));
    const syncAs = (member: { memberId: string; generationId: number }) =>
      broker.request(Apis.SyncGroup, 3, {
        groupId: "sync-static",
        ...member,
        groupInstanceId: "till-1",
        assignments: [],
      });
    const synced = await syncAs(current);
    assert.equal(synced?.errorCode, ErrorCode.NONE);
    assert.equal(synced?.assignment.toString(), "p0-p1");
    assert.equal((await syncAs(old))?.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  });
});
