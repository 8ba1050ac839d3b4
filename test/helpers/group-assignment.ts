// Following a kafkajs-API consumer's group assignment from its GROUP_JOIN events.
import type { Consumer } from "kafkajs";

export interface AssignmentTracker {
  /** Partitions of `topic` in the latest GROUP_JOIN, sorted; undefined before the first join. */
  partitions(): number[] | undefined;
  memberId(): string | undefined;
  joins(): number;
}

/** Latest assignment a consumer was given, as reported by its GROUP_JOIN events. */
export function trackAssignment(consumer: Consumer, topic: string): AssignmentTracker {
  let latest: number[] | undefined;
  let memberId: string | undefined;
  let joins = 0;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joins++;
    memberId = event.payload.memberId;
    latest = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  return { partitions: () => latest, memberId: () => memberId, joins: () => joins };
}

/** True when the lists are pairwise disjoint and together hold exactly 0..count-1. */
export function splitsExactly(lists: Array<number[] | undefined>, count: number): boolean {
  if (lists.some((l) => l === undefined)) return false;
  const all = lists.flatMap((l) => l!);
  return all.length === count && new Set(all).size === count && all.every((p) => p >= 0 && p < count);
}
