// The consumer groups of the topic being migrated, as the broker sees them: which groups have
// offsets on it, each one's members and committed offsets, and the handover itself — the group's
// offsets committed on the new topic (the admin's setOffsets, which the broker accepts only while
// the group has no members).
//
// Owner of mutable state: none (the caller owns the admin client).
import type { Admin } from "../../broker/client/admin/types.ts";
import type { GroupPosition } from "./cutover.ts";

/** Groups with a committed offset on some partition of `topic`. */
export async function groupsConsuming(admin: Admin, topic: string): Promise<string[]> {
  const { groups } = await admin.listGroups();
  const found: string[] = [];
  for (const { groupId } of groups) {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets.find((o) => o.topic === topic)?.partitions ?? [];
    if (committed.some((p) => BigInt(p.offset) >= 0n)) found.push(groupId);
  }
  return found.sort();
}

/** The group's members now and its committed offsets on `topic` (-1 where none), by partition. */
export async function groupPosition(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: number,
): Promise<GroupPosition> {
  const [{ groups }, offsets] = await Promise.all([
    admin.describeGroups([groupId]),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Array<bigint>(partitions).fill(-1n);
  for (const { partition, offset } of offsets.find((o) => o.topic === topic)?.partitions ?? [])
    if (partition < partitions) committed[partition] = BigInt(offset);
  const group = groups[0];
  // A group mid-rebalance may list nobody yet still be taking members: only Empty (or Dead) is empty.
  const settled = group === undefined || group.state === "Empty" || group.state === "Dead";
  return { groupId, members: settled ? 0 : Math.max(group.members.length, 1), committed };
}

/** Commits `offsets` (by partition) for the group on `topic`; the broker refuses while it has members. */
export async function handOver(admin: Admin, groupId: string, topic: string, offsets: bigint[]): Promise<void> {
  await admin.setOffsets({
    groupId,
    topic,
    partitions: offsets.map((offset, partition) => ({ partition, offset: offset.toString() })),
  });
}
