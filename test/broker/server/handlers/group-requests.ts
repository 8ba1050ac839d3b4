// The requests a classic consumer-group member sends, for the group handlers' tests: a join
// request, a member brought to a stable group (JoinGroup twice from v4, then SyncGroup), a static
// member restarted, and an offset commit.
import assert from "node:assert/strict";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { JoinGroupRequest, OffsetCommitRequest } from "../../../../broker/protocol/messages/index.ts";
import type { RoutedBroker } from "../broker-state-fixture.ts";

export function joinRequest(groupId: string, memberId = "", over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "roundrobin", metadata: Buffer.from("subscription") }],
    ...over,
  };
}

export interface StableMember {
  memberId: string;
  generationId: number;
}

/** The only member of `groupId`, joined (v5: asked for an id first) and synced with `assignment`. */
export async function stableMember(
  broker: RoutedBroker,
  groupId: string,
  assignment = Buffer.from("the assignment"),
): Promise<StableMember> {
  const asked = await broker.request(Apis.JoinGroup, 5, joinRequest(groupId));
  assert.equal(asked?.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await broker.request(Apis.JoinGroup, 5, joinRequest(groupId, asked!.memberId));
  assert.equal(joined?.errorCode, ErrorCode.NONE);
  const member = { memberId: joined!.memberId, generationId: joined!.generationId! };
  const synced = await broker.request(Apis.SyncGroup, 3, {
    groupId,
    ...member,
    groupInstanceId: null,
    assignments: [{ memberId: member.memberId, assignment }],
  });
  assert.equal(synced?.errorCode, ErrorCode.NONE);
  return member;
}

/**
 * A static member ("till-1") of `groupId`, stable with `assignment`, then restarted: JoinGroup v5
 * with no member id and the same instance id, which gives it a new id in the same generation.
 */
export async function restartedStaticMember(
  broker: RoutedBroker,
  groupId: string,
  assignment = Buffer.from("the assignment"),
): Promise<{ old: StableMember; current: StableMember }> {
  const staticJoin = joinRequest(groupId, "", { groupInstanceId: "till-1" });
  const joined = await broker.request(Apis.JoinGroup, 5, staticJoin);
  assert.equal(joined?.errorCode, ErrorCode.NONE);
  const old = { memberId: joined!.memberId, generationId: joined!.generationId! };
  const synced = await broker.request(Apis.SyncGroup, 3, {
    groupId,
    ...old,
    groupInstanceId: "till-1",
    assignments: [{ memberId: old.memberId, assignment }],
  });
  assert.equal(synced?.errorCode, ErrorCode.NONE);
  const restarted = await broker.request(Apis.JoinGroup, 5, staticJoin);
  assert.equal(restarted?.errorCode, ErrorCode.NONE);
  return { old, current: { memberId: restarted!.memberId, generationId: restarted!.generationId! } };
}

/** [partition, offset, metadata?] */
export type CommittedOffset = [number, bigint, string?];

/** An OffsetCommit of `offsets` by topic; outside group membership unless `member` is given. */
export function offsetCommitRequest(
  groupId: string,
  offsets: Record<string, CommittedOffset[]>,
  member: StableMember = { memberId: "", generationId: -1 },
): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name,
      partitions: partitions.map(([partitionIndex, committedOffset, committedMetadata = ""]) => ({
        partitionIndex,
        committedOffset,
        committedLeaderEpoch: -1,
        committedMetadata,
      })),
    })),
  };
}
