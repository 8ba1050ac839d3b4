// Transactional record batches for the partition transaction tests.
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";

/** A batch of `count` records from producer `producerId`, transactional unless told otherwise. */
export function txnBatch(
  producerId: bigint,
  baseSequence: number,
  { count = 1, epoch = 0, transactional = true }: { count?: number; epoch?: number; transactional?: boolean } = {},
): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1n })),
    producerId,
    producerEpoch: epoch,
    baseSequence,
    transactional,
  });
}
