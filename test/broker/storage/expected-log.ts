// What a partition log must hold after a fault and a restart, for the storage fault tests. An
// ExpectedLog drives the log under test and remembers what was acknowledged (an append returned,
// with flush.messages=1 after its fsync; a truncation returned) and what an operation cut short by
// a fault may have left behind. assertRecovered then checks a reopened log against it: every
// acknowledged batch is there, byte for byte; the log is those batches plus at most some whole
// batches of the interrupted append (or less the ones an interrupted truncation removed); the
// files end at the last whole batch; the indexes agree with the log; the leader epochs are the
// batches' and the high watermark is not behind its last durable checkpoint.

import assert from "node:assert/strict";
import {
  BATCH_HEADER_SIZE,
  batchSize,
  lastOffsetOf,
  readBatchHeader,
} from "../../../broker/protocol/record-batch/layout.ts";
import type { EpochEntry } from "../../../broker/storage/leader-epoch-checkpoint.ts";
import { OFFSET_INDEX_ENTRY_SIZE } from "../../../broker/storage/offset-index.ts";
import type { AppendResult, PartitionLog } from "../../../broker/storage/partition-log.ts";
import { TIME_INDEX_ENTRY_SIZE } from "../../../broker/storage/time-index.ts";
import { batchOfSize } from "./batch-builder.ts";

interface Batch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

/** The stored batches in `records` (offsets already assigned by the log). */
function batchesIn(records: Buffer): Batch[] {
  const batches: Batch[] = [];
  for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; ) {
    const header = readBatchHeader(records, at);
    const size = batchSize(header);
    if (at + size > records.length) break;
    const bytes = Buffer.from(records.subarray(at, at + size));
    batches.push({ baseOffset: header.baseOffset, lastOffset: lastOffsetOf(header), bytes });
    at += size;
  }
  return batches;
}

export class ExpectedLog {
  /** Batches that must survive: acknowledged appends, less acknowledged truncations. */
  #acknowledged: Batch[] = [];
  /** What the log may hold instead, when an operation was cut short: a longer or shorter run of batches. */
  #interrupted: { kind: "append"; extra: Batch[] } | { kind: "truncation"; keep: number } | null = null;
  #durableHighWatermark = 0n;
  #nextTimestamp = 1_700_000_000_000n;

  /** Every batch gets a later timestamp than the one before, so a lookup by time names one batch. */
  nextBatch(count = 1, valueBytes = 30): Buffer {
    const batch = batchOfSize(count, valueBytes, { baseTimestamp: this.#nextTimestamp });
    this.#nextTimestamp += 10n;
    return batch;
  }

  /** Appends `records` (one or more batches, e.g. from nextBatch) through `log`; it counts as acknowledged once it returns. */
  append(log: PartitionLog, records: Buffer): AppendResult {
    const endBefore = log.logEndOffset;
    let result: AppendResult;
    try {
      result = log.append(records);
    } catch (error) {
      // Offsets are written into the batches before any byte is: these are the bytes that may be on disk.
      const extra = batchesIn(records).filter((batch) => batch.baseOffset >= endBefore);
      if (this.#interrupted === null && extra.length > 0 && extra[0]!.baseOffset === endBefore)
        this.#interrupted = { kind: "append", extra };
      throw error;
    }
    this.#acknowledged.push(...batchesIn(records));
    return result;
  }

  truncateTo(log: PartitionLog, offset: bigint): void {
    const keep = this.#acknowledged.filter((batch) => batch.lastOffset < offset).length;
    try {
      log.truncateTo(offset);
    } catch (error) {
      this.#interrupted ??= { kind: "truncation", keep };
      throw error;
    }
    this.#acknowledged = this.#acknowledged.slice(0, keep);
  }

  /** Moves the high watermark to the log end and flushes: once it returns, the checkpoint is durable. */
  commitAndFlush(log: PartitionLog): void {
    log.updateHighWatermark(log.logEndOffset);
    const highWatermark = log.highWatermark;
    log.flush();
    this.#durableHighWatermark = highWatermark;
  }

  /**
   * Checks a reopened `log` as described at the top of this file; `readFile` reads a file as it is
   * on the disk. What the log holds is then what is expected from here on.
   */
  assertRecovered(log: PartitionLog, readFile: (path: string) => Buffer, label: string): void {
    const stored = [...log.batches()];
    const must =
      this.#interrupted?.kind === "truncation"
        ? this.#acknowledged.slice(0, this.#interrupted.keep)
        : this.#acknowledged;
    const may =
      this.#interrupted?.kind === "append" ? [...this.#acknowledged, ...this.#interrupted.extra] : this.#acknowledged;
    const describe = (batches: readonly { baseOffset: bigint; lastOffset: bigint }[]) =>
      batches.map((b) => `${b.baseOffset}-${b.lastOffset}`).join(",");
    const context = `${label}: stored [${describe(stored)}], acknowledged [${describe(must)}], possible [${describe(may)}]`;
    assert.ok(stored.length >= must.length && stored.length <= may.length, `batch count: ${context}`);
    for (const [i, batch] of stored.entries()) {
      assert.ok(batch.bytes.equals(may[i]!.bytes), `batch ${i} differs: ${context}`);
    }
    const logEnd = stored.length > 0 ? stored.at(-1)!.lastOffset + 1n : log.logStartOffset;
    assert.equal(log.logEndOffset, logEnd, `log end: ${context}`);

    for (const segment of log.segments) {
      const own = stored.filter((batch) => batch.segmentBaseOffset === segment.baseOffset);
      const onDisk = readFile(segment.logPath);
      assert.ok(
        onDisk.equals(Buffer.concat(own.map((b) => b.bytes))),
        `${segment.logPath} holds exactly its whole batches: ${context}`,
      );
      assertIndexesAgree(
        segment.baseOffset,
        own,
        readFile(segment.indexPath),
        readFile(segment.timeIndexPath),
        `${label}: segment ${segment.baseOffset}`,
      );
      let maxTimestamp = -1n;
      for (const b of own) if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
      assert.equal(segment.maxTimestamp, maxTimestamp, `${label}: segment ${segment.baseOffset} max timestamp`);
    }
    for (const batch of stored) {
      const read = log.read(batch.baseOffset, 1);
      assert.ok(
        read.kind === "records" && read.chunks[0]!.subarray(0, batch.bytes.length).equals(batch.bytes),
        `${label}: read at ${batch.baseOffset}`,
      );
      assert.deepEqual(
        log.offsetForTimestamp(batch.maxTimestamp),
        { offset: batch.baseOffset, timestamp: batch.maxTimestamp },
        `${label}: lookup by time`,
      );
    }
    assert.deepEqual(log.epochEntries, epochStarts(stored), `${label}: leader epochs`);
    assert.ok(log.highWatermark <= logEnd, `${label}: high watermark ${log.highWatermark} past the log end ${logEnd}`);
    const floor = this.#durableHighWatermark < logEnd ? this.#durableHighWatermark : logEnd;
    assert.ok(
      log.highWatermark >= floor,
      `${label}: high watermark ${log.highWatermark} behind its checkpoint ${floor}`,
    );

    this.#acknowledged = stored.map(({ baseOffset, lastOffset, bytes }) => ({ baseOffset, lastOffset, bytes }));
    this.#interrupted = null;
    this.#durableHighWatermark = log.highWatermark;
  }

  /** Appends go on where the recovered log ends, and read back; at a new leader epoch, as after a restart. */
  assertAppendsContinue(log: PartitionLog, label: string): void {
    log.setLeaderEpoch(log.latestEpoch + 1);
    const end = log.logEndOffset;
    const records = this.nextBatch(2);
    assert.equal(this.append(log, records).baseOffset, end, `${label}: next append's offset`);
    const read = log.read(end, 1);
    assert.ok(
      read.kind === "records" && Buffer.concat(read.chunks).equals(records),
      `${label}: the new batch reads back`,
    );
  }
}

/**
 * Every entry of both indexes agrees with the segment as it is: an offset index entry names where
 * a batch starts; a time index entry (t, o) names a batch start o before which no batch is later
 * than t, and t is a batch's timestamp at or after o (an append of several batches is indexed at
 * its first batch).
 */
function assertIndexesAgree(
  baseOffset: bigint,
  batches: readonly { baseOffset: bigint; position: number; maxTimestamp: bigint }[],
  offsetIndex: Buffer,
  timeIndex: Buffer,
  label: string,
): void {
  assert.equal(offsetIndex.length % OFFSET_INDEX_ENTRY_SIZE, 0, `${label}: offset index of whole entries`);
  let previousPosition = -1;
  for (let at = 0; at < offsetIndex.length; at += OFFSET_INDEX_ENTRY_SIZE) {
    const offset = baseOffset + BigInt(offsetIndex.readInt32BE(at));
    const position = offsetIndex.readInt32BE(at + 4);
    assert.ok(position > previousPosition, `${label}: offset index positions rise`);
    previousPosition = position;
    const batch = batches.find((b) => b.position === position);
    assert.equal(
      batch?.baseOffset,
      offset,
      `${label}: offset index entry (${offset}, ${position}) names a batch start`,
    );
  }
  assert.equal(timeIndex.length % TIME_INDEX_ENTRY_SIZE, 0, `${label}: time index of whole entries`);
  let previousTimestamp = -1n;
  for (let at = 0; at < timeIndex.length; at += TIME_INDEX_ENTRY_SIZE) {
    const timestamp = timeIndex.readBigInt64BE(at);
    const offset = baseOffset + BigInt(timeIndex.readInt32BE(at + 8));
    const entry = `${label}: time index entry (${timestamp}, ${offset})`;
    assert.ok(timestamp > previousTimestamp, `${entry}: timestamps rise`);
    previousTimestamp = timestamp;
    assert.ok(
      batches.some((b) => b.baseOffset === offset),
      `${entry} names a batch start`,
    );
    assert.ok(
      batches.every((b) => b.baseOffset >= offset || b.maxTimestamp <= timestamp),
      `${entry}: no earlier batch is later`,
    );
    assert.ok(
      batches.some((b) => b.baseOffset >= offset && b.maxTimestamp === timestamp),
      `${entry}: a batch's timestamp`,
    );
  }
}

/** Where each run of one leader epoch starts, as the leader-epoch checkpoint must say. */
function epochStarts(batches: readonly { baseOffset: bigint; partitionLeaderEpoch: number }[]): EpochEntry[] {
  const starts: EpochEntry[] = [];
  for (const { baseOffset, partitionLeaderEpoch: epoch } of batches) {
    if (epoch >= 0 && epoch !== starts.at(-1)?.epoch) starts.push({ epoch, startOffset: baseOffset });
  }
  return starts;
}
