// The batches a Raft leader writes into `__cluster_metadata-0`, and what a committed batch looks
// like to the log's readers. Data batches hold the proposed records (encoded metadata records) as
// record values, no keys; a new leader's first batch is a control batch with one
// LeaderChangeMessage record (control record type 2), as KRaft writes it. The batch's
// partitionLeaderEpoch is the Raft epoch that wrote it. Holds no state.

import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeLeaderChangeMessage,
  encodeControlRecordKey,
  encodeLeaderChangeMessage,
} from "../protocol/metadata-records/control-records.ts";
import type { LeaderChangeMessage } from "../protocol/metadata-records/records/leader-change-message.ts";
import { decodeRecordBatch } from "../protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../protocol/record-batch/encoder.ts";
import { AttributeBit, BatchField, crcOfRange, isControlBatch } from "../protocol/record-batch/layout.ts";

/** A committed data batch as the log's readers get it. */
export interface CommittedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The Raft epoch of the leader that wrote it. */
  epoch: number;
  /** Record values in order: the proposed records. */
  records: Buffer[];
}

/** One data batch of `records`, to be appended by the leader (which assigns offsets and the epoch). */
export function dataBatch(records: readonly Buffer[], epoch: number, timestamp: number): Buffer {
  return encodeRecordBatch({
    partitionLeaderEpoch: epoch,
    records: records.map((value) => ({ key: null, value, timestamp: BigInt(timestamp) })),
  });
}

/** The control batch that opens a leader's epoch. */
export function leaderChangeBatch(
  leaderId: number,
  voters: readonly number[],
  grantingVoters: readonly number[],
  epoch: number,
  timestamp: number,
): Buffer {
  const message: LeaderChangeMessage = {
    version: 0,
    leaderId,
    voters: voters.map((voterId) => ({ voterId, voterDirectoryId: Buffer.alloc(16) })),
    grantingVoters: grantingVoters.map((voterId) => ({ voterId, voterDirectoryId: Buffer.alloc(16) })),
  };
  const batch = encodeRecordBatch({
    partitionLeaderEpoch: epoch,
    records: [
      {
        key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE),
        value: encodeLeaderChangeMessage(message),
        timestamp: BigInt(timestamp),
      },
    ],
  });
  // The control bit lies inside the CRC's range, so the CRC is computed again after setting it.
  batch.writeInt16BE(batch.readInt16BE(BatchField.attributes) | AttributeBit.control, BatchField.attributes);
  batch.writeUInt32BE(crcOfRange(batch, 0, batch.length), BatchField.crc);
  return batch;
}

/** The LeaderChangeMessage of a control batch, or null for any other batch. */
export function leaderChangeOf(batch: Buffer): LeaderChangeMessage | null {
  if (!isControlBatch(batch.readInt16BE(BatchField.attributes))) return null;
  for (const record of decodeRecordBatch(batch, 0).records) {
    if (record.key === null || record.value === null) continue;
    if (decodeControlRecordKey(record.key).type === ControlRecordType.LEADER_CHANGE) {
      return decodeLeaderChangeMessage(record.value);
    }
  }
  return null;
}

/** A stored data batch as readers get it; null for a control batch, which readers never see. */
export function committedBatchOf(batch: Buffer): CommittedBatch | null {
  if (isControlBatch(batch.readInt16BE(BatchField.attributes))) return null;
  const { header, records } = decodeRecordBatch(batch, 0);
  return {
    baseOffset: header.baseOffset,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    epoch: header.partitionLeaderEpoch,
    records: records.map((record) => record.value ?? Buffer.alloc(0)),
  };
}
