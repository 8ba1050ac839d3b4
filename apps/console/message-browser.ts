// The message browser's three ways in: a partition from an offset, a partition from a time (the
// broker's ListOffsets by timestamp), and a key (its partition by the producer's murmur2, scanned
// backwards from the end, newest first, up to a bound so a rare key cannot make one request read
// the whole log).
import { AppError } from "../shared/errors.ts";
import { partitionOfKey } from "./key-partition.ts";
import type { PartitionReader, ReadRecord } from "./partition-reader.ts";

export interface BrowseResult {
  topic: string;
  partition: number;
  messages: ReadRecord[];
}

/** How far back a key search reads, in records of the key's partition. */
export const KEY_SCAN_LIMIT = 20_000;
const KEY_SCAN_STEP = 500n;

export function createMessageBrowser(reader: PartitionReader) {
  async function checkPartition(topic: string, partition: number): Promise<number> {
    const count = await partitionsOf(topic);
    if (partition >= count) throw AppError.badRequest(`${topic} has partitions 0 to ${count - 1} (got ${partition})`);
    return count;
  }

  async function partitionsOf(topic: string): Promise<number> {
    try {
      return await reader.partitionCount(topic);
    } catch (error) {
      throw AppError.notFound(`no topic ${topic} (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  return {
    async fromOffset(topic: string, partition: number, offset: bigint, limit: number): Promise<BrowseResult> {
      await checkPartition(topic, partition);
      const { start } = (await reader.offsets(topic, [partition])).get(partition)!;
      const from = offset < start ? start : offset;
      return { topic, partition, messages: await reader.read(topic, partition, from, limit) };
    },

    /** The last `limit` records of the partition, oldest first. */
    async latest(topic: string, partition: number, limit: number): Promise<BrowseResult> {
      await checkPartition(topic, partition);
      const { start, end } = (await reader.offsets(topic, [partition])).get(partition)!;
      const from = end - BigInt(limit) > start ? end - BigInt(limit) : start;
      return { topic, partition, messages: await reader.read(topic, partition, from, limit) };
    },

    async fromTimestamp(topic: string, partition: number, timestamp: bigint, limit: number): Promise<BrowseResult> {
      await checkPartition(topic, partition);
      const offset = await reader.offsetForTimestamp(topic, partition, timestamp);
      return { topic, partition, messages: offset === null ? [] : await reader.read(topic, partition, offset, limit) };
    },

    /** The newest `limit` records keyed `key`, newest first, among the last KEY_SCAN_LIMIT of its partition. */
    async byKey(topic: string, key: string, limit: number): Promise<BrowseResult> {
      const partition = partitionOfKey(key, await partitionsOf(topic));
      const { start, end } = (await reader.offsets(topic, [partition])).get(partition)!;
      const floor = end - BigInt(KEY_SCAN_LIMIT) > start ? end - BigInt(KEY_SCAN_LIMIT) : start;
      const found: ReadRecord[] = [];
      for (let upTo = end; upTo > floor && found.length < limit; ) {
        const from = upTo - KEY_SCAN_STEP > floor ? upTo - KEY_SCAN_STEP : floor;
        const window = await reader.read(topic, partition, from, Number(upTo - from));
        const matches = window.filter((r) => r.key === key && BigInt(r.offset) < upTo).reverse();
        found.push(...matches.slice(0, limit - found.length));
        upTo = from;
      }
      return { topic, partition, messages: found };
    },
  };
}

export type MessageBrowser = ReturnType<typeof createMessageBrowser>;
