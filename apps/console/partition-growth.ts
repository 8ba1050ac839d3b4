// Growing a topic's partition count, previewed first: adding partitions changes murmur2(key) % n for
// most keys, so a user's new commands may land on another partition than their commands still in
// flight, and be applied out of order. The preview lists exactly the users whose key moves, from
// the users in the SQLite file and the producer's own partitioner; the grow goes through our
// client's admin createPartitions.
import type { Admin } from "../../broker/client/admin/index.ts";
import { AppError } from "../shared/errors.ts";
import { partitionOfKey } from "./key-partition.ts";

export interface GrowthPreview {
  topic: string;
  from: number;
  to: number;
  moved: Array<{ userId: string; from: number; to: number }>;
  unchanged: number;
  /** Set when commands carry no key (POINTS_COMMAND_KEY=none): nothing is placed by user. */
  note?: string;
}

export interface PartitionGrowthDeps {
  /** Every userId, the keys of points.commands. */
  userIds(): Promise<string[]>;
  partitionCount(topic: string): Promise<number>;
  admin: Pick<Admin, "createPartitions">;
  /** How points-api keys commands (config.commandKey). */
  commandKey: "userId" | "none";
}

/** Which of `userIds` land on another partition with `to` partitions than with `from`. */
export function movedKeys(userIds: readonly string[], from: number, to: number): GrowthPreview["moved"] {
  const moved: GrowthPreview["moved"] = [];
  for (const userId of userIds) {
    const before = partitionOfKey(userId, from);
    const after = partitionOfKey(userId, to);
    if (before !== after) moved.push({ userId, from: before, to: after });
  }
  return moved;
}

export function createPartitionGrowth(deps: PartitionGrowthDeps) {
  async function target(topic: string, count: number): Promise<{ from: number; to: number }> {
    let from: number;
    try {
      from = await deps.partitionCount(topic);
    } catch (error) {
      throw AppError.notFound(`no topic ${topic} (${error instanceof Error ? error.message : String(error)})`);
    }
    if (count <= from)
      throw AppError.badRequest(`count is the new total and must exceed the current ${from} partitions (got ${count})`);
    return { from, to: count };
  }

  return {
    async preview(topic: string, count: number): Promise<GrowthPreview> {
      const { from, to } = await target(topic, count);
      const userIds = await deps.userIds();
      if (deps.commandKey === "none")
        return {
          topic,
          from,
          to,
          moved: [],
          unchanged: userIds.length,
          note: "commands carry no key (POINTS_COMMAND_KEY=none): they are spread over the partitions anyway",
        };
      const moved = movedKeys(userIds, from, to);
      return { topic, from, to, moved, unchanged: userIds.length - moved.length };
    },

    async grow(topic: string, count: number): Promise<{ topic: string; from: number; to: number }> {
      const { from, to } = await target(topic, count);
      await deps.admin.createPartitions({ topicPartitions: [{ topic, count: to }] });
      return { topic, from, to };
    },
  };
}

export type PartitionGrowth = ReturnType<typeof createPartitionGrowth>;
