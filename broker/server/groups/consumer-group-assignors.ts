// The server-side assignors of the consumer protocol (KIP-848), chosen by a member's
// serverAssignor or the broker's `group.consumer.assignors` (the first one is the default):
// - uniform: every member gets as many partitions as the others, give or take one, among the
//   partitions of the topics it subscribes to; sticky — a partition stays with the member whose
//   target already has it unless balance requires a move, so a rebalance moves few partitions.
// - range: per topic, the subscribed members sorted by member id each take a contiguous range of
//   partitions, the first ones one more when the count does not divide (the classic RangeAssignor).
//
// Pure functions of their input; no state.

import type { TopicPartitionSet } from "./consumer-group.ts";

export interface AssignorMember {
  memberId: string;
  /** Topic ids (hex) the member subscribes to that exist. */
  subscribedTopicIds: ReadonlySet<string>;
  /** The member's partitions in the current target (for stickiness). */
  currentTarget: TopicPartitionSet;
}

export interface AssignorTopic {
  topicId: string;
  name: string;
  partitionCount: number;
}

export interface ServerAssignor {
  readonly name: string;
  /** memberId → its new target; every member of `members` has an entry. */
  assign(
    members: readonly AssignorMember[],
    topics: ReadonlyMap<string, AssignorTopic>,
  ): Map<string, TopicPartitionSet>;
}

export const UNIFORM_ASSIGNOR_NAME = "uniform";
export const RANGE_ASSIGNOR_NAME = "range";

function emptyTargets(members: readonly AssignorMember[]): Map<string, TopicPartitionSet> {
  return new Map(members.map((member) => [member.memberId, new Map()]));
}

function add(target: TopicPartitionSet, topicId: string, partition: number): void {
  const set = target.get(topicId) ?? new Set<number>();
  set.add(partition);
  target.set(topicId, set);
}

function remove(target: TopicPartitionSet, topicId: string, partition: number): void {
  const set = target.get(topicId);
  if (set === undefined) return;
  set.delete(partition);
  if (set.size === 0) target.delete(topicId);
}

/** Topics in name order, so that every run assigns alike. */
function topicsInOrder(topics: ReadonlyMap<string, AssignorTopic>): AssignorTopic[] {
  return [...topics.values()].sort((left, right) => left.name.localeCompare(right.name));
}

export const uniformAssignor: ServerAssignor = {
  name: UNIFORM_ASSIGNOR_NAME,
  assign(members, topics) {
    const byId = [...members].sort((left, right) => left.memberId.localeCompare(right.memberId));
    const targets = emptyTargets(byId);
    const load = new Map(byId.map((member) => [member.memberId, 0]));
    const owner = new Map<string, string>();
    const eligible = (topicId: string) => byId.filter((member) => member.subscribedTopicIds.has(topicId));

    // Stickiness: every partition keeps the member whose target has it, if it still may.
    for (const member of byId) {
      for (const [topicId, partitions] of member.currentTarget) {
        const topic = topics.get(topicId);
        if (topic === undefined || !member.subscribedTopicIds.has(topicId)) continue;
        for (const partition of partitions) {
          const key = `${topicId}:${partition}`;
          if (partition >= topic.partitionCount || owner.has(key)) continue;
          owner.set(key, member.memberId);
          add(targets.get(member.memberId)!, topicId, partition);
          load.set(member.memberId, load.get(member.memberId)! + 1);
        }
      }
    }
    // Every partition without an owner goes to the least loaded member that may have it.
    const leastLoaded = (candidates: readonly AssignorMember[]): AssignorMember | undefined =>
      candidates.reduce<AssignorMember | undefined>(
        (best, member) => (best === undefined || load.get(member.memberId)! < load.get(best.memberId)! ? member : best),
        undefined,
      );
    for (const topic of topicsInOrder(topics)) {
      const candidates = eligible(topic.topicId);
      if (candidates.length === 0) continue;
      for (let partition = 0; partition < topic.partitionCount; partition += 1) {
        const key = `${topic.topicId}:${partition}`;
        if (owner.has(key)) continue;
        const chosen = leastLoaded(candidates)!;
        owner.set(key, chosen.memberId);
        add(targets.get(chosen.memberId)!, topic.topicId, partition);
        load.set(chosen.memberId, load.get(chosen.memberId)! + 1);
      }
    }
    // Balance: move one partition at a time from a member to one with at least two fewer that may
    // have it. Each move lowers the sum of squared loads, so this ends.
    for (let moved = true; moved; ) {
      moved = false;
      const donors = [...byId].sort((left, right) => load.get(right.memberId)! - load.get(left.memberId)!);
      for (const donor of donors) {
        const donorLoad = load.get(donor.memberId)!;
        const donorTarget = targets.get(donor.memberId)!;
        const held = [...donorTarget].flatMap(([topicId, partitions]) =>
          [...partitions].map((partition) => ({ topicId, partition })),
        );
        // Give away the last partitions first, so that low partitions stay where they were.
        held.sort((left, right) => right.topicId.localeCompare(left.topicId) || right.partition - left.partition);
        for (const { topicId, partition } of held) {
          const receiver = leastLoaded(eligible(topicId));
          if (receiver === undefined || load.get(receiver.memberId)! > donorLoad - 2) continue;
          remove(donorTarget, topicId, partition);
          add(targets.get(receiver.memberId)!, topicId, partition);
          load.set(donor.memberId, donorLoad - 1);
          load.set(receiver.memberId, load.get(receiver.memberId)! + 1);
          moved = true;
          break;
        }
        if (moved) break;
      }
    }
    return targets;
  },
};

export const rangeAssignor: ServerAssignor = {
  name: RANGE_ASSIGNOR_NAME,
  assign(members, topics) {
    const targets = emptyTargets(members);
    for (const topic of topicsInOrder(topics)) {
      const subscribed = members
        .filter((member) => member.subscribedTopicIds.has(topic.topicId))
        .sort((left, right) => left.memberId.localeCompare(right.memberId));
      if (subscribed.length === 0) continue;
      const base = Math.floor(topic.partitionCount / subscribed.length);
      const extra = topic.partitionCount % subscribed.length;
      let next = 0;
      subscribed.forEach((member, index) => {
        const count = base + (index < extra ? 1 : 0);
        for (let partition = next; partition < next + count; partition += 1) {
          add(targets.get(member.memberId)!, topic.topicId, partition);
        }
        next += count;
      });
    }
    return targets;
  },
};

/** By name, and by the class names a Kafka server.properties gives. */
const KNOWN_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([
  [UNIFORM_ASSIGNOR_NAME, uniformAssignor],
  [RANGE_ASSIGNOR_NAME, rangeAssignor],
  ["org.apache.kafka.coordinator.group.assignor.UniformAssignor", uniformAssignor],
  ["org.apache.kafka.coordinator.group.assignor.RangeAssignor", rangeAssignor],
]);

/** The assignors a `group.consumer.assignors` list names, in its order; throws on an unknown name. */
export function assignorsFromConfig(names: readonly string[]): ServerAssignor[] {
  if (names.length === 0) throw new RangeError("group.consumer.assignors must name at least one assignor");
  return names.map((name) => {
    const assignor = KNOWN_ASSIGNORS.get(name.trim());
    if (assignor === undefined) throw new RangeError(`unknown consumer group assignor ${name}`);
    return assignor;
  });
}
