// The producer-state snapshot format (as Kafka keeps `<offset>.snapshot` files beside its
// segments): the idempotent-producer state of a partition as it stood once every batch below
// `offset` was appended, so that opening the log rescans only the batches from `offset` on, not
// the whole log. The state itself (what is remembered per producer) is the partition's
// (broker/server/producer-state.ts); this file only says how it is laid out on disk.
//
// Layout, big-endian; the CRC-32C covers every byte after its own field, so a torn or
// bit-flipped file is refused, never half read:
//   version      int16   (2; version 1, written before transactions, is still read)
//   crc          uint32  CRC-32C of the rest
//   offset       int64   the snapshot's offset, also in the file name
//   producers    int32   count, then per producer:
//     producerId   int64
//     epoch        int16
//     coordinatorEpoch      int32  (v2 only) of the producer's last marker, -1 before any
//     currentTxnFirstOffset int64  (v2 only) first offset of its ongoing transaction, -1 if none
//     batches      int32  count (oldest first), then per batch:
//       firstSequence int32, lastSequence int32, baseOffset int64
//
// Ownership: none; bytes in, bytes out.

import { crc32c } from "@node-rs/crc32";

export const PRODUCER_SNAPSHOT_VERSION = 2;
/** Snapshots written before transactions: no coordinator epoch nor ongoing transaction per producer. */
const VERSION_WITHOUT_TRANSACTIONS = 1;

export interface SnapshotBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: bigint;
}

export interface SnapshotProducer {
  producerId: bigint;
  epoch: number;
  /** Coordinator epoch of the producer's last transaction marker, -1 before any. */
  coordinatorEpoch: number;
  /** First offset of the producer's ongoing transaction, -1n when it has none. */
  currentTxnFirstOffset: bigint;
  /** Oldest first. */
  batches: readonly SnapshotBatch[];
}

export interface ProducerSnapshot {
  offset: bigint;
  producers: readonly SnapshotProducer[];
}

/** A snapshot file that cannot be used: wrong version, bad CRC, or malformed. */
export class ProducerSnapshotError extends Error {}

const HEADER_BYTES = 2 + 4;
const CRC_FROM = HEADER_BYTES;
const PRODUCER_BYTES_V1 = 8 + 2 + 4;
const TXN_BYTES = 4 + 8;
const PRODUCER_BYTES = PRODUCER_BYTES_V1 + TXN_BYTES;
const BATCH_BYTES = 4 + 4 + 8;

export function encodeProducerSnapshot(snapshot: ProducerSnapshot): Buffer {
  let size = HEADER_BYTES + 8 + 4;
  for (const producer of snapshot.producers) size += PRODUCER_BYTES + producer.batches.length * BATCH_BYTES;
  const bytes = Buffer.alloc(size);
  bytes.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  let at = bytes.writeBigInt64BE(snapshot.offset, HEADER_BYTES);
  at = bytes.writeInt32BE(snapshot.producers.length, at);
  for (const producer of snapshot.producers) {
    at = bytes.writeBigInt64BE(producer.producerId, at);
    at = bytes.writeInt16BE(producer.epoch, at);
    at = bytes.writeInt32BE(producer.coordinatorEpoch, at);
    at = bytes.writeBigInt64BE(producer.currentTxnFirstOffset, at);
    at = bytes.writeInt32BE(producer.batches.length, at);
    for (const batch of producer.batches) {
      at = bytes.writeInt32BE(batch.firstSequence, at);
      at = bytes.writeInt32BE(batch.lastSequence, at);
      at = bytes.writeBigInt64BE(batch.baseOffset, at);
    }
  }
  bytes.writeUInt32BE(crc32c(bytes.subarray(CRC_FROM)), 2);
  return bytes;
}

/** Decodes a snapshot file's bytes; throws ProducerSnapshotError when they are not a whole, valid snapshot. */
export function decodeProducerSnapshot(bytes: Buffer): ProducerSnapshot {
  if (bytes.length < HEADER_BYTES + 8 + 4) throw new ProducerSnapshotError(`${bytes.length} bytes is too short`);
  const version = bytes.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION && version !== VERSION_WITHOUT_TRANSACTIONS)
    throw new ProducerSnapshotError(`unknown version ${version}`);
  if (bytes.readUInt32BE(2) !== crc32c(bytes.subarray(CRC_FROM))) throw new ProducerSnapshotError("CRC mismatch");
  const need = (at: number, count: number): void => {
    if (at + count > bytes.length) throw new ProducerSnapshotError("truncated");
  };
  const offset = bytes.readBigInt64BE(HEADER_BYTES);
  let at = HEADER_BYTES + 8;
  const producerCount = bytes.readInt32BE(at);
  at += 4;
  const hasTxn = version !== VERSION_WITHOUT_TRANSACTIONS;
  const producers: SnapshotProducer[] = [];
  for (let p = 0; p < producerCount; p++) {
    need(at, hasTxn ? PRODUCER_BYTES : PRODUCER_BYTES_V1);
    const producerId = bytes.readBigInt64BE(at);
    const epoch = bytes.readInt16BE(at + 8);
    at += 10;
    let coordinatorEpoch = -1;
    let currentTxnFirstOffset = -1n;
    if (hasTxn) {
      coordinatorEpoch = bytes.readInt32BE(at);
      currentTxnFirstOffset = bytes.readBigInt64BE(at + 4);
      at += TXN_BYTES;
    }
    const batchCount = bytes.readInt32BE(at);
    at += 4;
    need(at, batchCount * BATCH_BYTES);
    const batches: SnapshotBatch[] = [];
    for (let b = 0; b < batchCount; b++, at += BATCH_BYTES) {
      batches.push({
        firstSequence: bytes.readInt32BE(at),
        lastSequence: bytes.readInt32BE(at + 4),
        baseOffset: bytes.readBigInt64BE(at + 8),
      });
    }
    producers.push({ producerId, epoch, coordinatorEpoch, currentTxnFirstOffset, batches });
  }
  if (at !== bytes.length) throw new ProducerSnapshotError(`${bytes.length - at} bytes after the last producer`);
  return { offset, producers };
}
