// One segment's transaction index (Kafka's TransactionIndex, `<base>.txnindex`): the transactions
// aborted by a marker in that segment, in the order of their markers, so that a read_committed
// fetch can tell its consumer which producers' records to drop without reading the log. Each
// entry is Kafka's AbortedTxn, 34 bytes big-endian:
//   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 (the marker's
//   offset) | lastStableOffset int64 (the LSO once the transaction completed)
// The file is created with its first entry. A torn last entry (a crash mid-append) is cut off on
// open; whatever a crash lost is re-added when the partition replays its log from its producer
// snapshot (see partition.ts).
//
// Ownership: a TransactionIndex is owned by its log's AbortedTransactions (aborted-transactions.ts),
// which keeps its entries in memory (a few per segment) and its file open once it exists.

import type { FileHandle, FileSystem } from "./file-system.ts";

export const ABORTED_TXN_BYTES = 34;
const ABORTED_TXN_VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export class TransactionIndexError extends Error {}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const bytes = Buffer.alloc(ABORTED_TXN_BYTES);
  let at = bytes.writeInt16BE(ABORTED_TXN_VERSION, 0);
  at = bytes.writeBigInt64BE(txn.producerId, at);
  at = bytes.writeBigInt64BE(txn.firstOffset, at);
  at = bytes.writeBigInt64BE(txn.lastOffset, at);
  bytes.writeBigInt64BE(txn.lastStableOffset, at);
  return bytes;
}

/** The whole entries of `bytes` (a trailing partial one is ignored); throws on an unknown version. */
export function decodeAbortedTxns(bytes: Buffer): AbortedTxn[] {
  const txns: AbortedTxn[] = [];
  for (let at = 0; at + ABORTED_TXN_BYTES <= bytes.length; at += ABORTED_TXN_BYTES) {
    const version = bytes.readInt16BE(at);
    if (version !== ABORTED_TXN_VERSION) throw new TransactionIndexError(`unknown aborted txn version ${version}`);
    txns.push({
      producerId: bytes.readBigInt64BE(at + 2),
      firstOffset: bytes.readBigInt64BE(at + 10),
      lastOffset: bytes.readBigInt64BE(at + 18),
      lastStableOffset: bytes.readBigInt64BE(at + 26),
    });
  }
  return txns;
}

export class TransactionIndex {
  readonly #fs: FileSystem;
  readonly path: string;
  #file: FileHandle | null = null;
  #entries: AbortedTxn[] = [];
  #unsynced = false;

  private constructor(fs: FileSystem, path: string) {
    this.#fs = fs;
    this.path = path;
  }

  /**
   * The index at `path`, its entries read when the file exists. An unreadable file (an unknown
   * version) is emptied: the replay from the producer snapshot restores what it can.
   */
  static open(fs: FileSystem, path: string): TransactionIndex {
    const index = new TransactionIndex(fs, path);
    if (!fs.exists(path)) return index;
    const file = fs.open(path, { create: false });
    index.#file = file;
    const bytes = Buffer.alloc(file.size());
    file.read(bytes, 0, bytes.length, 0);
    try {
      index.#entries = decodeAbortedTxns(bytes);
    } catch (error) {
      if (!(error instanceof TransactionIndexError)) throw error;
      index.#entries = [];
    }
    const whole = index.#entries.length * ABORTED_TXN_BYTES;
    if (whole !== bytes.length) file.truncate(whole);
    return index;
  }

  get entries(): readonly AbortedTxn[] {
    return this.#entries;
  }

  /** Appends an aborted transaction; its marker must come after every one already indexed. */
  append(txn: AbortedTxn): void {
    const last = this.#entries.at(-1);
    if (last !== undefined && txn.lastOffset <= last.lastOffset)
      throw new Error(`${this.path}: aborted txn ending at ${txn.lastOffset} after one ending at ${last.lastOffset}`);
    this.#file ??= this.#fs.open(this.path, { create: true });
    this.#file.append(encodeAbortedTxn(txn));
    const { producerId, firstOffset, lastOffset, lastStableOffset } = txn;
    this.#entries.push({ producerId, firstOffset, lastOffset, lastStableOffset });
    this.#unsynced = true;
  }

  /** Removes the entries whose marker is at or after `offset`. */
  truncateFrom(offset: bigint): void {
    const keep = this.#entries.findIndex((txn) => txn.lastOffset >= offset);
    if (keep < 0) return;
    this.#entries.length = keep;
    this.#file?.truncate(keep * ABORTED_TXN_BYTES);
    this.#unsynced = true;
  }

  /**
   * Adds to `into` the entries whose marker is at or after `fetchOffset` and whose first offset is
   * below `upperBoundOffset`. Returns true once an entry's lastStableOffset reaches the bound:
   * later segments cannot hold one a reader up to the bound needs (Kafka's early stop).
   */
  collect(fetchOffset: bigint, upperBoundOffset: bigint, into: AbortedTxn[]): boolean {
    for (const txn of this.#entries) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) into.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return true;
    }
    return false;
  }

  sync(): void {
    if (!this.#unsynced) return;
    this.#file?.sync();
    this.#unsynced = false;
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  /** Closes and removes the file. */
  delete(): void {
    this.close();
    this.#fs.remove(this.path);
  }
}
