// Control batches (KIP-98): the transaction markers a transaction coordinator has each partition
// leader write to end a transaction. A marker batch is uncompressed, has attributes 0x30
// (isControl + isTransactional), the transaction's producerId and producerEpoch, baseSequence -1,
// and one record: key = int16 version (0) + int16 type (0 ABORT, 1 COMMIT), value = int16
// version (0) + int32 coordinatorEpoch. Consumers never see control records as data; the
// broker reads them to complete transactions.
//
// Ownership: none; bytes in, bytes out.

import { AttributeBit, BATCH_HEADER_SIZE, BatchField, writeBatchHeader } from "./layout.ts";

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
} as const;

/** The only control record version Kafka writes (key and value alike). */
const CONTROL_RECORD_VERSION = 0;
const KEY_BYTES = 4;
const VALUE_BYTES = 6;
/**
 * The one record of a marker, after its length varint: attributes, timestampDelta 0, offsetDelta 0,
 * key length, key, value length, value, header count 0, every varint one byte long.
 */
const RECORD_BODY_BYTES = 1 + 1 + 1 + 1 + KEY_BYTES + 1 + VALUE_BYTES + 1;
/** Every marker batch has this size: the header, the record length varint and the record. */
export const TXN_MARKER_BATCH_BYTES = BATCH_HEADER_SIZE + 1 + RECORD_BODY_BYTES;

export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

/** A zigzag varint of a value in [-64, 63], which takes one byte. */
function smallVarint(value: number): number {
  return ((value << 1) ^ (value >> 31)) & 0x7f;
}

/**
 * The marker batch for `marker`, at base offset 0 and leader epoch -1 (the log assigns both), its
 * one record stamped with `timestampMs`.
 */
export function encodeTxnMarkerBatch(marker: TxnMarker, timestampMs: number): Buffer {
  const batch = Buffer.alloc(TXN_MARKER_BATCH_BYTES);
  let at = BATCH_HEADER_SIZE;
  batch[at++] = smallVarint(RECORD_BODY_BYTES);
  batch[at++] = 0; // record attributes
  batch[at++] = smallVarint(0); // timestampDelta
  batch[at++] = smallVarint(0); // offsetDelta
  batch[at++] = smallVarint(KEY_BYTES);
  at = batch.writeInt16BE(CONTROL_RECORD_VERSION, at);
  at = batch.writeInt16BE(marker.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, at);
  batch[at++] = smallVarint(VALUE_BYTES);
  at = batch.writeInt16BE(CONTROL_RECORD_VERSION, at);
  at = batch.writeInt32BE(marker.coordinatorEpoch, at);
  batch[at++] = smallVarint(0); // header count
  writeBatchHeader(batch, {
    baseOffset: 0n,
    partitionLeaderEpoch: -1,
    attributes: AttributeBit.control | AttributeBit.transactional,
    lastOffsetDelta: 0,
    baseTimestamp: timestampMs,
    maxTimestamp: timestampMs,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    recordCount: 1,
  });
  return batch;
}

export interface ControlRecord {
  /** ControlRecordType: 0 ABORT, 1 COMMIT; other values are control records this broker does not know. */
  type: number;
  /** The marker's coordinator epoch, or -1 when the record has no such value. */
  coordinatorEpoch: number;
}

/**
 * Reads the first record of the control batch at `position` (uncompressed, as brokers write
 * them); null when the bytes do not hold a well-formed control record. Never allocates from a
 * length it read: every length is checked against the batch's end first.
 */
export function readControlRecord(batch: Buffer, position = 0): ControlRecord | null {
  if (position < 0 || batch.length - position < BATCH_HEADER_SIZE) return null;
  const end = Math.min(batch.length, position + 12 + batch.readInt32BE(position + BatchField.batchLength));
  const reader = { at: position + BATCH_HEADER_SIZE };
  const varint = (): number | null => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (reader.at >= end) return null;
      const byte = batch[reader.at++]!;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
    }
    return null;
  };
  if (varint() === null) return null; // record length
  reader.at += 1; // attributes
  if (varint() === null || varint() === null) return null; // timestampDelta, offsetDelta
  const keyLength = varint();
  if (keyLength === null || keyLength < KEY_BYTES || reader.at + keyLength > end) return null;
  const type = batch.readInt16BE(reader.at + 2);
  reader.at += keyLength;
  const valueLength = varint();
  const coordinatorEpoch =
    valueLength !== null && valueLength >= VALUE_BYTES && reader.at + valueLength <= end
      ? batch.readInt32BE(reader.at + 2)
      : -1;
  return { type, coordinatorEpoch };
}
