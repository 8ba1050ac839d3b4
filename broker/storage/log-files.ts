// The names of a partition log's files (Kafka's LogFileUtils): each segment is `<base>.log` with
// its `<base>.index` and `<base>.timeindex`, the base offset written as 20 zero-padded digits so
// that names sort as offsets do; the cleaner writes `<name>.cleaned` before swapping a segment in;
// `<offset>.snapshot` holds the producer state as of that offset (producer-snapshot.ts); a
// segment's `<base>.txnindex` the transactions aborted in it (transaction-index.ts).
//
// Ownership: none; names only, no I/O.

export const LOG_FILE_SUFFIX = ".log";
export const INDEX_FILE_SUFFIX = ".index";
export const TIME_INDEX_FILE_SUFFIX = ".timeindex";
/** Suffix of a segment being written by the cleaner; such files are discarded if found at startup. */
export const CLEANED_FILE_SUFFIX = ".cleaned";
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = ".snapshot";
export const TXN_INDEX_FILE_SUFFIX = ".txnindex";

const BASE_OFFSET_DIGITS = 20;
const LOG_FILE_NAME = /^(\d{20})\.log$/;
const INDEX_FILE_NAME = /^(\d{20})(\.index|\.timeindex|\.txnindex)$/;
const PRODUCER_SNAPSHOT_FILE_NAME = /^(\d{20})\.snapshot$/;

export function segmentFileName(baseOffset: bigint, suffix: string): string {
  return baseOffset.toString().padStart(BASE_OFFSET_DIGITS, "0") + suffix;
}

/** The base offset named by a segment's `.log` file name, or null for any other file. */
export function parseLogFileName(name: string): bigint | null {
  const match = LOG_FILE_NAME.exec(name);
  return match === null ? null : BigInt(match[1]!);
}

/** The `.log` file name an index file belongs to, or null when `name` is not an index file's. */
export function logFileNameOfIndex(name: string): string | null {
  const match = INDEX_FILE_NAME.exec(name);
  return match === null ? null : match[1]! + LOG_FILE_SUFFIX;
}

/** The offset named by a producer snapshot's file name, or null for any other file. */
export function parseProducerSnapshotFileName(name: string): bigint | null {
  const match = PRODUCER_SNAPSHOT_FILE_NAME.exec(name);
  return match === null ? null : BigInt(match[1]!);
}
