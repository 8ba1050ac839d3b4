// The records of `__transaction_state`, in Kafka's own layout (TransactionLogKey and
// TransactionLogValue version 0) so that the topic reads like Kafka's: a key is int16 version 0 and
// the transactional id; a value is int16 version 0, then the producer id and epoch, the timeout, the
// state as an int8, the partitions of the transaction (a nullable array of topics, each with its
// int32 partition ids), and the last-update and start timestamps. Strings are int16 length + UTF-8,
// integers big-endian.
//
// Pure functions over buffers; no state. A short or malformed record is refused with a
// TransactionLogFormatError before anything past its end is read or allocated.
import { ProtocolDecodeError, Reader, Writer } from "../../protocol/primitives.ts";

export const TRANSACTION_STATE_TOPIC = "__transaction_state";

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** Kafka's TransactionState ids, as the log stores them. */
export const TransactionStatus = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TransactionState = keyof typeof TransactionStatus;

const stateById = new Map<number, TransactionState>(
  Object.entries(TransactionStatus).map(([name, id]) => [id, name as TransactionState]),
);

export interface TransactionPartitions {
  topic: string;
  partitions: number[];
}

/** What one record of a transactional id says (Kafka's TxnTransitMetadata as logged). */
export interface TransactionLogValue {
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TransactionState;
  partitions: TransactionPartitions[];
  lastUpdateTimestampMs: bigint;
  /** -1 while no transaction has started. */
  startTimestampMs: bigint;
}

export class TransactionLogFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransactionLogFormatError";
  }
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer(64).int16(KEY_VERSION).string(transactionalId).toBuffer();
}

export function encodeTransactionLogValue(value: TransactionLogValue): Buffer {
  const writer = new Writer(128)
    .int16(VALUE_VERSION)
    .int64(value.producerId)
    .int16(value.producerEpoch)
    .int32(value.transactionTimeoutMs)
    .int8(TransactionStatus[value.state]);
  // Kafka writes an Empty transaction's partitions as a null array.
  if (value.state === "Empty") {
    writer.int32(-1);
  } else {
    writer.int32(value.partitions.length);
    for (const { topic, partitions } of value.partitions) {
      writer.string(topic).int32(partitions.length);
      for (const partition of partitions) writer.int32(partition);
    }
  }
  return writer.int64(value.lastUpdateTimestampMs).int64(value.startTimestampMs).toBuffer();
}

export function decodeTransactionLogKey(buffer: Buffer): string {
  return decoding("key", buffer, (reader) => {
    const version = reader.int16();
    if (version !== KEY_VERSION)
      throw new TransactionLogFormatError(`unknown ${TRANSACTION_STATE_TOPIC} key version ${version}`);
    return reader.string();
  });
}

export function decodeTransactionLogValue(buffer: Buffer): TransactionLogValue {
  return decoding("value", buffer, (reader) => {
    const version = reader.int16();
    if (version !== VALUE_VERSION)
      throw new TransactionLogFormatError(`unsupported ${TRANSACTION_STATE_TOPIC} value version ${version}`);
    const producerId = reader.int64();
    const producerEpoch = reader.int16();
    const transactionTimeoutMs = reader.int32();
    const status = reader.int8();
    const state = stateById.get(status);
    if (state === undefined) throw new TransactionLogFormatError(`unknown transaction status ${status}`);
    const topicCount = reader.int32();
    // A topic takes at least 6 bytes (empty name, partition count): a larger count is a lie.
    if (topicCount < -1 || topicCount * 6 > reader.remaining)
      throw new TransactionLogFormatError(`transaction partitions count ${topicCount} exceeds the record`);
    const partitions: TransactionPartitions[] = [];
    for (let index = 0; index < topicCount; index += 1) {
      const topic = reader.string();
      const count = reader.int32();
      if (count < 0 || count * 4 > reader.remaining)
        throw new TransactionLogFormatError(`partition count ${count} of ${topic} exceeds the record`);
      const ids: number[] = [];
      for (let partition = 0; partition < count; partition += 1) ids.push(reader.int32());
      partitions.push({ topic, partitions: ids });
    }
    const lastUpdateTimestampMs = reader.int64();
    const startTimestampMs = reader.int64();
    return {
      producerId,
      producerEpoch,
      transactionTimeoutMs,
      state,
      partitions,
      lastUpdateTimestampMs,
      startTimestampMs,
    };
  });
}

/** Runs a decoder over the record, naming the record in the error when its bytes run short. */
function decoding<Decoded>(what: string, buffer: Buffer, decode: (reader: Reader) => Decoded): Decoded {
  try {
    return decode(new Reader(buffer));
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) throw error;
    throw new TransactionLogFormatError(
      `malformed ${TRANSACTION_STATE_TOPIC} ${what} (${buffer.length} bytes): ${error.message}`,
      { cause: error },
    );
  }
}
