// The cooperative-sticky assignor (our extension; kafkajs has none), with Java's protocol name
// "cooperative-sticky" and Java's subscription bytes, so it can lead a group of Java members too.
// Sticky: every member keeps the partitions it owns (as its subscription's ownedPartitions says)
// as far as balance allows; only the surplus of the most loaded members moves. Cooperative
// (KIP-429): a partition that changes owner is in this generation only taken away from its old
// owner, and handed to nobody; the old owner revokes it and rejoins, and the next generation
// gives it out. No partition is ever owned by two members at once.
//
// Ownership: none; an assignment is a pure function of the members' subscriptions and the
// cluster's partitions.
import { MemberAssignment, MemberMetadata, type OwnedTopicPartitions } from "./assigner-protocol.ts";
import type { Assignment, GroupMember, PartitionAssigner } from "./types.ts";

export const COOPERATIVE_STICKY = "cooperative-sticky";

/** Java's ConsumerProtocolSubscription version with owned partitions and generation id. */
const SUBSCRIPTION_VERSION = 2;

/** What the assignor reads from a member's subscription. */
export interface StickyMember {
  memberId: string;
  topics: string[];
  ownedPartitions: OwnedTopicPartitions[];
  /** The generation the member owned its partitions in; -1 unknown (an older claim loses a conflict). */
  generationId: number;
}

export interface StickyPlan {
  /** Per member, what it owns in the new generation (members with nothing have an empty entry). */
  assignments: Map<string, Assignment>;
  /** Partitions taken from their owner and handed to nobody this generation, to be given out next. */
  revoking: { topic: string; partition: number; from: string }[];
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function splitKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf("\u0000");
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export function decodeStickyMember({ memberId, memberMetadata }: GroupMember): StickyMember {
  const decoded = MemberMetadata.decode(memberMetadata);
  return {
    memberId,
    topics: decoded?.topics ?? [],
    ownedPartitions: decoded?.ownedPartitions ?? [],
    generationId: decoded?.generationId ?? -1,
  };
}

/** Each existing partition's owner: the claimer with the highest generation; a tie between two members is nobody's. */
function currentOwners(members: StickyMember[], exists: Set<string>): Map<string, string | null> {
  const best = new Map<string, { memberId: string | null; generationId: number }>();
  for (const { memberId, topics, ownedPartitions, generationId } of members) {
    for (const { topic, partitions } of ownedPartitions) {
      if (!topics.includes(topic)) continue;
      for (const partition of partitions) {
        const key = keyOf(topic, partition);
        if (!exists.has(key)) continue;
        const previous = best.get(key);
        if (!previous || generationId > previous.generationId) best.set(key, { memberId, generationId });
        else if (generationId === previous.generationId && previous.memberId !== memberId)
          best.set(key, { memberId: null, generationId });
      }
    }
  }
  return new Map([...best].map(([key, { memberId }]) => [key, memberId]));
}

/**
 * The sticky, balanced assignment and the cooperative cut: owned partitions stay; unowned ones go
 * to the least loaded member subscribed to their topic; then, while a member has two partitions
 * more than another that could take one, one moves (a partition it was just given, before one it
 * owned). Deterministic: members in id order, partitions in topic and partition order.
 */
export function planStickyAssignment(members: StickyMember[], partitionsOf: (topic: string) => number[]): StickyPlan {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  const allKeys: string[] = [];
  for (const topic of topics) {
    for (const partition of [...partitionsOf(topic)].sort((a, b) => a - b)) allKeys.push(keyOf(topic, partition));
  }
  const exists = new Set(allKeys);
  const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
  const canTake = (memberId: string, key: string): boolean => subscribed.get(memberId)!.has(splitKey(key).topic);

  const owners = currentOwners(sorted, exists);
  const held = new Map<string, string[]>(sorted.map((m) => [m.memberId, []]));
  for (const key of allKeys) {
    const owner = owners.get(key);
    if (owner) held.get(owner)!.push(key);
  }
  const leastLoaded = (key: string): string | undefined => {
    let choice: string | undefined;
    for (const { memberId } of sorted) {
      if (canTake(memberId, key) && (choice === undefined || held.get(memberId)!.length < held.get(choice)!.length))
        choice = memberId;
    }
    return choice;
  };
  for (const key of allKeys) {
    if (owners.get(key)) continue;
    const memberId = leastLoaded(key);
    if (memberId !== undefined) held.get(memberId)!.push(key);
  }

  // Each move lowers the sum of the squared loads, so this ends.
  for (let moved = true; moved; ) {
    moved = false;
    const byLoad = [...sorted].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length);
    search: for (const donor of byLoad) {
      const donorKeys = held.get(donor.memberId)!;
      for (const receiver of [...byLoad].reverse()) {
        const receiverKeys = held.get(receiver.memberId)!;
        if (donorKeys.length - receiverKeys.length <= 1) break;
        const movable = donorKeys.filter((key) => canTake(receiver.memberId, key));
        if (movable.length === 0) continue;
        const given = movable.filter((key) => owners.get(key) !== donor.memberId);
        const key = (given.length > 0 ? given : movable).at(-1)!;
        donorKeys.splice(donorKeys.indexOf(key), 1);
        receiverKeys.push(key);
        moved = true;
        break search;
      }
    }
  }

  // The cooperative cut: a partition that another member still claims goes to nobody this
  // generation (its rightful owner keeps it whatever a stale claim says, as in Java).
  const claimers = new Map<string, Set<string>>();
  for (const { memberId, ownedPartitions } of sorted) {
    for (const { topic, partitions } of ownedPartitions) {
      for (const partition of partitions) {
        const key = keyOf(topic, partition);
        let set = claimers.get(key);
        if (!set) claimers.set(key, (set = new Set()));
        set.add(memberId);
      }
    }
  }
  const assignments = new Map<string, Assignment>();
  const revoking: StickyPlan["revoking"] = [];
  for (const { memberId } of sorted) {
    const assignment: Assignment = {};
    for (const key of held.get(memberId)!.sort((a, b) => allKeys.indexOf(a) - allKeys.indexOf(b))) {
      const others = [...(claimers.get(key) ?? [])].filter((claimer) => claimer !== memberId);
      const { topic, partition } = splitKey(key);
      if (owners.get(key) !== memberId && others.length > 0) {
        for (const from of others) revoking.push({ topic, partition, from });
        continue;
      }
      (assignment[topic] ??= []).push(partition);
    }
    assignments.set(memberId, assignment);
  }
  return { assignments, revoking };
}

export const cooperativeSticky: PartitionAssigner = ({ cluster, logger }) => ({
  name: COOPERATIVE_STICKY,
  version: SUBSCRIPTION_VERSION,
  supportedProtocols: ["EAGER", "COOPERATIVE"],

  async assign({ members }) {
    const plan = planStickyAssignment(members.map(decodeStickyMember), (topic) =>
      cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => partitionId),
    );
    if (plan.revoking.length > 0)
      logger.debug("Cooperative assignment revokes partitions before moving them", { revoking: plan.revoking });
    return [...plan.assignments].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },

  protocol({ topics, ownedPartitions = [], generationId = -1 }) {
    return {
      name: this.name,
      metadata: MemberMetadata.encode({
        version: this.version,
        topics,
        userData: Buffer.alloc(0),
        ownedPartitions,
        generationId,
      }),
    };
  },
});
