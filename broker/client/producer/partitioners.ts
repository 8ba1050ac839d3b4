// kafkajs's partitioners. The default one hashes keys with the Java client's murmur2, so a key
// lands on the same partition whichever client (ours, kafkajs, Java) produced it; keyless
// messages go round-robin over the partitions that have a leader, from a random start per topic.
// The legacy one reproduces kafkajs 1.x's hash, floating-point quirks included, for apps that
// must keep their old key placement.
import { randomInt } from "node:crypto";
import type { PartitionMetadata } from "../types.ts";
import type { ICustomPartitioner, PartitionerArgs } from "./types.ts";

type KeyHash = (key: Buffer, length: number) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's `Utils.murmur2` over the first `length` bytes, in 32-bit integer arithmetic. */
export function murmur2(data: Buffer, length: number = data.length): number {
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

/**
 * kafkajs 1.x's hash: the same steps as murmur2 but in double arithmetic (products lose low bits
 * past 2^53) and with a loop bound of length/4 unrounded, so it reads up to 3 bytes past the end
 * as zeros. Kept bit-for-bit, since its only purpose is to place keys where kafkajs 1.x did.
 */
export function legacyMurmur2(data: Buffer, length: number = data.length): number {
  const byteAt = (index: number): number => (index < length ? data[index]! : 0);
  let h = SEED ^ length;
  const quarterLength = length / 4;
  for (let i = 0; i < quarterLength; i++) {
    const i4 = i * 4;
    let k = byteAt(i4) + (byteAt(i4 + 1) << 8) + (byteAt(i4 + 2) << 16) + (byteAt(i4 + 3) << 24);
    k *= M;
    k ^= k >>> 24;
    k *= M;
    h *= M;
    h ^= k;
  }
  const whole = length & ~3;
  const tail = length % 4;
  if (tail === 3) h ^= byteAt(whole + 2) << 16;
  if (tail >= 2) h ^= byteAt(whole + 1) << 8;
  if (tail >= 1) {
    h ^= byteAt(whole);
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

// Most keys are short strings: their UTF-8 bytes go to a reused buffer instead of a new one each.
const keyScratch = Buffer.allocUnsafe(4096);

function hashKey(hash: KeyHash, key: unknown): number {
  if (Buffer.isBuffer(key)) return hash(key, key.length);
  const text = typeof key === "string" ? key : String(key);
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
  if (text.length * 3 <= keyScratch.length) return hash(keyScratch, keyScratch.write(text, 0, "utf8"));
  const bytes = Buffer.from(text, "utf8");
  return hash(bytes, bytes.length);
}

const toPositive = (x: number): number => x & 0x7fffffff;

/** The partition the `n`-th keyless message goes to: round-robin over the partitions with a leader. */
function roundRobin(partitionMetadata: PartitionMetadata[], n: number): number {
  let available = 0;
  for (const p of partitionMetadata) if (p.leader >= 0) available++;
  if (available === 0) return toPositive(n) % partitionMetadata.length;
  if (available === partitionMetadata.length) return partitionMetadata[toPositive(n) % available]!.partitionId;
  return partitionMetadata.filter((p) => p.leader >= 0)[toPositive(n) % available]!.partitionId;
}

/**
 * The partition, of `partitionCount`, the default partitioner sends a message keyed `key` to (for
 * tools that must agree with the producer: a key calculator, a copy to a topic of another size).
 */
export function partitionForKey(key: Buffer | string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1)
    throw new RangeError(`partitions must be >= 1 (got ${partitionCount})`);
  return toPositive(hashKey(murmur2, key)) % partitionCount;
}

function partitionerWith(hash: KeyHash): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      if (message.key !== null && message.key !== undefined)
        return toPositive(hashKey(hash, message.key)) % partitionMetadata.length;
      const next = (counters.get(topic) ?? randomInt(0x100000000)) + 1;
      counters.set(topic, next);
      return roundRobin(partitionMetadata, next);
    };
  };
}

export const DefaultPartitioner: ICustomPartitioner = partitionerWith(murmur2);
export const LegacyPartitioner: ICustomPartitioner = partitionerWith(legacyMurmur2);

export const Partitioners: {
  DefaultPartitioner: ICustomPartitioner;
  LegacyPartitioner: ICustomPartitioner;
  /** @deprecated Use DefaultPartitioner instead: kafkajs renamed it so in 2.0.0. */
  JavaCompatiblePartitioner: ICustomPartitioner;
} = {
  DefaultPartitioner,
  LegacyPartitioner,
  JavaCompatiblePartitioner: DefaultPartitioner,
};
