// The target assignment of a consumer-protocol (KIP-848) group: which existing topics its members
// subscribe to — by name, or by a regex (RE2/J syntax, matched against whole names; JavaScript's
// RegExp reads the common subset alike) over the non-internal topics — and, when the group epoch
// has moved past the assignment epoch, the partitions the group's assignor gives each member for
// the new epoch. The assignor is the one most members name (serverAssignor), else the first of
// `group.consumer.assignors`.
//
// Ownership: changes a group's target and subscribed topics only from that group's serial queue
// (its caller, consumer-group-heartbeat.ts); the compiled regexes are a cache of pure values.

import {
  type ConsumerGroup,
  type ConsumerGroupMember,
  type SubscribableTopic,
  type SubscribedTopic,
  topicIdKey,
} from "./consumer-group.ts";
import type { AssignorMember, ServerAssignor } from "./consumer-group-assignors.ts";

/** Regexes kept compiled; beyond this many distinct ones the cache starts over. */
const MAX_CACHED_REGEXES = 1_000;

/** A member's regex as RE2/J reads it (Pattern.matches: the whole name); null if it does not compile. */
export function compileTopicRegex(regex: string): RegExp | null {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch {
    return null;
  }
}

export class ConsumerGroupTargets {
  private readonly regexes = new Map<string, RegExp | null>();

  constructor(
    /** In the order of `group.consumer.assignors`: the first is the default. */
    readonly assignors: readonly ServerAssignor[],
    private readonly topics: () => readonly SubscribableTopic[],
  ) {}

  regex(source: string): RegExp | null {
    let compiled = this.regexes.get(source);
    if (compiled === undefined && !this.regexes.has(source)) {
      if (this.regexes.size >= MAX_CACHED_REGEXES) this.regexes.clear();
      compiled = compileTopicRegex(source);
      this.regexes.set(source, compiled);
    }
    return compiled ?? null;
  }

  /** Recomputes the topics the group subscribes to; true if they (or their partition counts) changed. */
  refreshSubscribedTopics(group: ConsumerGroup): boolean {
    const topics = this.topics();
    const byName = new Map(topics.map((topic) => [topic.name, topic]));
    const next = new Map<string, SubscribedTopic>();
    for (const member of group.members.values()) {
      for (const name of this.subscribedNames(member, topics)) {
        const topic = byName.get(name)!;
        next.set(name, { name, topicId: topicIdKey(topic.topicId), partitionCount: topic.partitionCount });
      }
    }
    const previous = group.subscribedTopics;
    const same =
      previous.size === next.size &&
      [...next].every(([name, topic]) => {
        const before = previous.get(name);
        return (
          before !== undefined && before.topicId === topic.topicId && before.partitionCount === topic.partitionCount
        );
      });
    group.subscribedTopics = next;
    return !same;
  }

  /** The target of every member for the group epoch, computed from the subscribed topics. */
  computeTargetAssignment(group: ConsumerGroup): void {
    const topics = this.topics();
    const subscribed = group.subscribedTopics;
    const assignorTopics = new Map(
      [...subscribed.values()].map((topic) => [
        topic.topicId,
        { topicId: topic.topicId, name: topic.name, partitionCount: topic.partitionCount },
      ]),
    );
    const members: AssignorMember[] = [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      subscribedTopicIds: new Set(
        this.subscribedNames(member, topics).flatMap((name) => {
          const topic = subscribed.get(name);
          return topic === undefined ? [] : [topic.topicId];
        }),
      ),
      currentTarget: group.targetAssignment.get(member.memberId) ?? new Map(),
    }));
    const assignor = this.preferredAssignor(group);
    group.targetAssignment = assignor.assign(members, assignorTopics);
    group.assignorName = assignor.name;
    group.assignmentEpoch = group.groupEpoch;
  }

  /** The names of existing topics a member subscribes to: its names, and the non-internal topics its regex matches. */
  private subscribedNames(member: ConsumerGroupMember, topics: readonly SubscribableTopic[]): string[] {
    const names = new Set(member.subscribedTopicNames);
    const regex = member.subscribedTopicRegex === null ? null : this.regex(member.subscribedTopicRegex);
    return topics
      .filter((topic) => names.has(topic.name) || (regex !== null && !topic.isInternal && regex.test(topic.name)))
      .map((topic) => topic.name);
  }

  /** The most wanted assignor among the members' choices; the configured default when none chose. */
  private preferredAssignor(group: ConsumerGroup): ServerAssignor {
    const votes = new Map<string, number>();
    for (const member of group.members.values()) {
      if (member.serverAssignor !== null) votes.set(member.serverAssignor, (votes.get(member.serverAssignor) ?? 0) + 1);
    }
    let best = this.assignors[0]!;
    let bestVotes = 0;
    for (const assignor of this.assignors) {
      const count = votes.get(assignor.name) ?? 0;
      if (count > bestVotes) {
        best = assignor;
        bestVotes = count;
      }
    }
    return best;
  }
}
