// When the consumer groups may be handed over to the new topic, and at which offsets: the
// migration's decisions, on plain numbers.
//
// A group is handed over only when it has no members (nobody can consume or commit on the old
// topic any more, and the broker accepts offsets only for an empty group) and it has consumed the
// old topic to its end. Then everything the copy wrote is something the group already processed,
// so its committed offsets on the new topic are the new topic's ends: nothing before them is
// unprocessed (no skip), nothing after them was processed (no double). Committing anything short of
// "drained" would need a cut through each new partition that puts every consumed record before
// every unconsumed one, which records copied from several source partitions, interleaved, do not
// have; hence the wait for the drain.
//
// Owner of mutable state: none.
import type { PartitionBounds } from "./source-log.ts";

export interface GroupPosition {
  groupId: string;
  /** Members now in the group. */
  members: number;
  /** Committed offset per partition of the old topic, by index; -1 where none. */
  committed: bigint[];
}

export interface GroupReadiness {
  groupId: string;
  members: number;
  /** Records of the old topic the group has not consumed yet. */
  lag: bigint;
}

/** Records of each partition after the group's position (it starts at the log start when it committed nothing). */
export function lagOf(bounds: PartitionBounds[], committed: bigint[]): bigint {
  let lag = 0n;
  bounds.forEach(({ start, end }, partition) => {
    const offset = committed[partition] ?? -1n;
    const position = offset < start ? start : offset;
    if (end > position) lag += end - position;
  });
  return lag;
}

export function readiness(bounds: PartitionBounds[], groups: GroupPosition[]): GroupReadiness[] {
  return groups.map((g) => ({ groupId: g.groupId, members: g.members, lag: lagOf(bounds, g.committed) }));
}

/** Every group empty and drained: the cutover may happen at these bounds. */
export function readyForCutover(states: GroupReadiness[]): boolean {
  return states.every((s) => s.members === 0 && s.lag === 0n);
}

/** What a group still waits for, in words; null when it is ready. */
export function waitingFor(state: GroupReadiness, topic: string): string | null {
  if (state.lag > 0n && state.members > 0)
    return `group ${state.groupId} is consuming ${topic}: ${state.lag} records to go`;
  if (state.lag > 0n)
    return `group ${state.groupId} has no members but ${state.lag} records of ${topic} unconsumed: start its consumers again until they have consumed them all, then stop them`;
  if (state.members > 0)
    return `group ${state.groupId} has consumed ${topic} to its end: stop its ${state.members} member(s) now`;
  return null;
}

/**
 * Records on the new topic that the migration did not write, per partition (a producer that
 * switched before the cutover): their order against the copied records is unknown, so no group is
 * handed over while there are any.
 */
export function foreignRecords(copiedByTarget: number[], targetEnds: bigint[]): number[] {
  return targetEnds.map((end, partition) => Number(end) - (copiedByTarget[partition] ?? 0));
}

/** Records written to the old topic since `before`, per partition. */
export function writtenSince(before: PartitionBounds[], now: PartitionBounds[]): number[] {
  return now.map(({ end }, partition) => Number(end - (before[partition]?.end ?? 0n)));
}
