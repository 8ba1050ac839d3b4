// The members a classic JoinGroup makes, and the static membership (KIP-345) rules that only look
// at state: the member id a (static or dynamic) member is given, the member that takes a restarted
// static instance's place, and whether that restart changes what the leader would assign. The order
// of operations (fencing the old member, answering without a rebalance) belongs to membership.ts.
//
// Ownership: none of its own; it reads and builds group state inside the group's serial queue
// (coordinator.ts), for membership.ts.

import { randomUUID } from "node:crypto";
import { type Group, GroupMember } from "./group.ts";
import type { JoinGroupRequest } from "./types.ts";

/** Kafka's generateMemberId: a static member's id starts with its instance id, a dynamic one's with its client id. */
export function newMemberId(request: JoinGroupRequest): string {
  return `${request.groupInstanceId ?? request.clientId}-${randomUUID()}`;
}

/** JoinGroup v0 carries no rebalance timeout (-1): the session timeout serves instead, as in Kafka. */
export function rebalanceTimeoutOf(request: JoinGroupRequest): number {
  return request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
}

/** The member a JoinGroup makes, under `memberId`. */
export function memberFrom(request: JoinGroupRequest, memberId: string): GroupMember {
  return new GroupMember({
    memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: request.clientId,
    clientHost: request.clientHost,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: rebalanceTimeoutOf(request),
    protocolType: request.protocolType,
    protocols: request.protocols,
  });
}

/** The restarted instance under its new id, keeping the assignment of the member it replaces. */
export function replacementOf(previous: GroupMember, request: JoinGroupRequest, memberId: string): GroupMember {
  const replacement = memberFrom(request, memberId);
  replacement.assignment = previous.assignment;
  return replacement;
}

/**
 * Whether a static member that restarted into a Stable group (`replacement`, already in the
 * group in `previous`'s place) needs a rebalance rather than its old assignment back. Kafka
 * rebalances when the protocol the group would choose changes; we also rebalance when the member
 * now subscribes to other topics, which Kafka leaves to the leader (KIP-814, JoinGroup v9, newer
 * than we serve). A consumer's subscription is compared by its topics only: its user data and
 * owned partitions are expected to differ after a restart.
 */
export function restartNeedsRebalance(group: Group, previous: GroupMember, replacement: GroupMember): boolean {
  const chosen = group.protocolName;
  if (chosen === null || !previous.supports(chosen) || !replacement.supports(chosen)) return true;
  if (group.selectProtocol() !== chosen) return true;
  return !sameSubscription(group.protocolType, previous.metadataFor(chosen), replacement.metadataFor(chosen));
}

function sameSubscription(protocolType: string | null, before: Buffer, after: Buffer): boolean {
  if (protocolType === "consumer") {
    const topicsBefore = subscribedTopics(before);
    const topicsAfter = subscribedTopics(after);
    if (topicsBefore !== null && topicsAfter !== null) {
      return topicsBefore.length === topicsAfter.length && topicsBefore.every((topic) => topicsAfter.includes(topic));
    }
  }
  return before.equals(after);
}

/**
 * The topics of a ConsumerProtocolSubscription (every version starts with int16 version and a
 * []string of topics); null when the bytes are not one.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  const count = metadata.readInt32BE(2);
  // Each topic takes at least its 2-byte length: a count the bytes cannot hold is not a subscription.
  if (count < 0 || count > (metadata.length - 6) / 2) return null;
  const topics: string[] = [];
  let at = 6;
  for (let index = 0; index < count; index += 1) {
    if (at + 2 > metadata.length) return null;
    const length = metadata.readInt16BE(at);
    at += 2;
    if (length < 0 || at + length > metadata.length) return null;
    topics.push(metadata.toString("utf8", at, at + length));
    at += length;
  }
  return topics.sort();
}
