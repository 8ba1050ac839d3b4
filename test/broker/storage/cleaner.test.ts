import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { TestContext } from "node:test";
import { test } from "node:test";
import { decodeRecordBatch } from "../../../broker/protocol/record-batch/decoder.ts";
import {
  BatchField,
  computeBatchCrc,
  lastOffsetOf,
  readBatchHeader,
} from "../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../broker/protocol/record-batch/splitter.ts";
import { compactLog } from "../../../broker/storage/cleaner.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import type { LogConfig } from "../../../broker/storage/log-config.ts";
import { PartitionLog } from "../../../broker/storage/partition-log.ts";
import type { TestRecord } from "./batch-builder.ts";
import { buildBatch } from "./batch-builder.ts";
import { FaultyFileSystem, InjectedFault, tempDir } from "./faulty-file-system.ts";
import { openLog as openTestLog } from "./log-fixture.ts";

const COMPACTED: Partial<LogConfig> = { cleanupPolicy: "compact", segmentBytes: 400 };
const NOW = 2_000_000_000_000;

interface StoredRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
}

function openLog(t: TestContext, dir: string, config: Partial<LogConfig> = COMPACTED): PartitionLog {
  return openTestLog(t, dir, config, Date.now);
}

function append(log: PartitionLog, records: TestRecord[]): void {
  log.append(buildBatch({ records, baseTimestamp: 1_000n }));
}

function storedRecords(log: PartitionLog): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const batch of log.batches()) {
    assert.equal(crcIsValid(batch.bytes, 0), true, `CRC of batch ${batch.baseOffset}`);
    for (const record of decodeRecordBatch(batch.bytes, 0).records) {
      records.push({
        offset: record.offset,
        key: record.key?.toString() ?? null,
        value: record.value?.toString() ?? null,
      });
    }
  }
  return records;
}

/** Fills several sealed segments with keys k0..k3 overwritten many times, three records per batch. */
function fillWithOverwrites(log: PartitionLog, batches: number): void {
  let n = 0;
  for (let b = 0; b < batches; b++) {
    append(
      log,
      [0, 1, 2].map(() => ({ key: `k${n % 4}`, value: `v${n++}` })),
    );
  }
}

test("when a compacted log is cleaned, then sealed segments keep only the latest record per key at its original offset", (t) => {
  const log = openLog(t, tempDir(t));
  fillWithOverwrites(log, 20);
  const before = storedRecords(log);
  const sealed = log.sealedSegments();
  assert.ok(sealed.length >= 3);
  const activeBase = log.segments.at(-1)!.baseOffset;
  const activeBytesBefore = fs.readFileSync(log.segments.at(-1)!.logPath);
  const sealedEnd = sealed.at(-1)!.nextOffset;
  const latestInSealed = new Map<string, bigint>();
  for (const record of before) if (record.offset < sealedEnd) latestInSealed.set(record.key!, record.offset);

  const result = compactLog(log, { now: NOW });

  const expected = before.filter((r) => r.offset >= activeBase || latestInSealed.get(r.key!) === r.offset);
  assert.deepEqual(storedRecords(log), expected);
  assert.equal(result.recordsRemoved, before.length - expected.length);
  assert.ok(result.bytesAfter < result.bytesBefore);
  assert.deepEqual(fs.readFileSync(log.segments.at(-1)!.logPath), activeBytesBefore);
  assert.equal(log.logEndOffset, 60n);
  assert.deepEqual(compactLog(log, { now: NOW }).segmentsRewritten, 0);
});

test("when a batch keeps only some of its records, then its header offsets and timestamps are preserved", (t) => {
  const log = openLog(t, tempDir(t));
  append(log, [
    { key: "a", value: "old" },
    { key: "b", value: "keep", timestampDelta: 9 },
    { key: "a", value: "new" },
  ]);
  log.roll();
  const original = readBatchHeader([...log.batches()][0]!.bytes, 0);
  compactLog(log, { now: NOW });
  const [batch] = [...log.batches()];
  const header = readBatchHeader(batch!.bytes, 0);
  assert.deepEqual(
    [header.baseOffset, header.lastOffsetDelta, header.baseTimestamp, header.maxTimestamp, header.recordCount],
    [original.baseOffset, original.lastOffsetDelta, original.baseTimestamp, original.maxTimestamp, 2],
  );
  assert.deepEqual(storedRecords(log), [
    { offset: 1n, key: "b", value: "keep" },
    { offset: 2n, key: "a", value: "new" },
  ]);
  const read = log.read(0n, 10_000);
  assert.equal(read.kind === "records" && Buffer.concat(read.chunks).equals(batch!.bytes), true);
});

test("when the latest record of a key is a tombstone in a sealed segment, then the key disappears; recent tombstones stay", (t) => {
  for (const [deleteRetentionMs, tombstoneKept] of [
    [0, false],
    [NOW, true],
  ] as const) {
    const log = openLog(t, tempDir(t));
    append(log, [
      { key: "gone", value: "1" },
      { key: "stays", value: "2" },
    ]);
    append(log, [{ key: "gone", value: null }]);
    log.roll();
    append(log, [{ key: "other", value: "3" }]);
    compactLog(log, { now: NOW, deleteRetentionMs });
    const expected: StoredRecord[] = [{ offset: 1n, key: "stays", value: "2" }];
    if (tombstoneKept) expected.push({ offset: 2n, key: "gone", value: null });
    expected.push({ offset: 3n, key: "other", value: "3" });
    assert.deepEqual(storedRecords(log), expected, `deleteRetentionMs ${deleteRetentionMs}`);
  }
});

test("when records have no key, then the cleaner keeps them", (t) => {
  const log = openLog(t, tempDir(t));
  append(log, [
    { key: null, value: "a" },
    { key: "k", value: "1" },
  ]);
  append(log, [{ key: "k", value: "2" }]);
  log.roll();
  compactLog(log, { now: NOW });
  assert.deepEqual(storedRecords(log), [
    { offset: 0n, key: null, value: "a" },
    { offset: 2n, key: "k", value: "2" },
  ]);
});

test("when a batch is compressed or transactional, then it is left exactly as it was", (t) => {
  for (const kind of [{ compression: "gzip" }, { transactional: true }] as const) {
    const log = openLog(t, tempDir(t));
    const opaque = buildBatch({ records: [{ key: "k", value: "1" }], baseTimestamp: 1_000n, ...kind });
    log.append(opaque);
    append(log, [{ key: "k", value: "2" }]);
    append(log, [{ key: "k", value: "3" }]);
    log.roll();
    compactLog(log, { now: NOW });
    const batches = [...log.batches()];
    assert.deepEqual(
      batches.map((b) => b.baseOffset),
      [0n, 2n],
      JSON.stringify(kind),
    );
    assert.deepEqual(batches[0]!.bytes, opaque, JSON.stringify(kind));
  }
});

test("when a batch's records do not decode, then it is copied unchanged and cleaning still goes on", (t) => {
  const log = openLog(t, tempDir(t));
  const garbled = buildBatch({ records: [{ key: "k", value: "1" }] });
  garbled.writeInt32BE(5, BatchField.recordCount); // claims 5 records, holds 1
  garbled.writeUInt32BE(computeBatchCrc(garbled, 0), BatchField.crc);
  log.append(garbled);
  append(log, [{ key: "j", value: "1" }]);
  append(log, [{ key: "j", value: "2" }]);
  log.roll();
  const result = compactLog(log, { now: NOW });
  assert.equal(result.recordsRemoved, 1);
  const batches = [...log.batches()];
  assert.deepEqual(
    batches.map((b) => b.baseOffset),
    [0n, 2n],
  );
  assert.deepEqual(batches[0]!.bytes, garbled);
});

test("when a cleaned log is reopened, then its content and offsets are the same and appends continue", (t) => {
  const dir = tempDir(t);
  const first = PartitionLog.open(nodeFileSystem, dir, COMPACTED);
  fillWithOverwrites(first, 15);
  compactLog(first, { now: NOW });
  const cleaned = storedRecords(first);
  const end = first.logEndOffset;
  first.close();
  const log = openLog(t, dir);
  assert.equal(log.recoveries.length, 1); // only the active segment is scanned: the swapped-in indexes are consistent
  assert.deepEqual(storedRecords(log), cleaned);
  assert.equal(log.append(buildBatch()).baseOffset, end);
  // An offset whose record was compacted away reads from the next surviving batch.
  const kept = new Set(cleaned.map((r) => r.offset));
  const gone = [...Array(Number(end)).keys()].map(BigInt).find((offset) => !kept.has(offset))!;
  const nextKept = cleaned.find((r) => r.offset > gone)!.offset;
  const read = log.read(gone, 1);
  assert.equal(read.kind, "records");
  const header = readBatchHeader(read.kind === "records" ? read.chunks[0]! : Buffer.alloc(0), 0);
  assert.ok(header.baseOffset <= nextKept && nextKept <= lastOffsetOf(header));
});

test("when the swap fails before the cleaned log is renamed in, then reopening recovers the original segment", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const log = PartitionLog.open(fileSystem, dir, COMPACTED);
  fillWithOverwrites(log, 12);
  const before = storedRecords(log);
  fileSystem.failRenamesWith = new InjectedFault("rename failed");
  assert.throws(() => compactLog(log, { now: NOW }), InjectedFault);
  assert.equal(log.isOffline, true);
  fileSystem.crash();
  assert.ok(fs.readdirSync(dir).some((name) => name.endsWith(".cleaned")));
  const reopened = openLog(t, dir);
  assert.deepEqual(storedRecords(reopened), before);
  assert.equal(reopened.recoveries[0]!.baseOffset, 0n); // its indexes were already removed: rebuilt
  assert.equal(
    fs.readdirSync(dir).some((name) => name.endsWith(".cleaned")),
    false,
  );
  compactLog(reopened, { now: NOW });
  assert.ok(storedRecords(reopened).length < before.length);
});

test("when the log's policy is delete, then the cleaner refuses it", (t) => {
  const log = openLog(t, tempDir(t), { cleanupPolicy: "delete" });
  assert.throws(() => compactLog(log), /not compacted/);
});
