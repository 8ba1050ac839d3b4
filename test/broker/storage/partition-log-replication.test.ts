// What a partition log does for replication: the leader-epoch cache kept through appends,
// follower appends, truncations and retention; appendAsFollower's checks; the high watermark
// (not moved by appends but by the log's owner, checkpointed, restored); and a property: whatever
// appends with rising epochs, truncations, rolls, retention and reopenings happen,
// endOffsetForEpoch agrees with a scan of the batches.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { readBatchHeader } from "../../../broker/protocol/record-batch/layout.ts";
import { HIGH_WATERMARK_CHECKPOINT_FILE } from "../../../broker/storage/high-watermark-checkpoint.ts";
import {
  LEADER_EPOCH_CHECKPOINT_FILE,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from "../../../broker/storage/leader-epoch-checkpoint.ts";
import {
  MalformedRecordsError,
  OffsetsOutOfOrderError,
  UnexpectedAppendOffsetError,
} from "../../../broker/storage/log-validator.ts";
import { LogOfflineError, type PartitionLog } from "../../../broker/storage/partition-log.ts";
import { batchOfSize } from "./batch-builder.ts";
import { FaultyFileSystem, InjectedFault, manualClock, tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, openLog, readAll } from "./log-fixture.ts";

/** A batch as a leader stored it: offsets and epoch already set. */
function leaderBatch(baseOffset: bigint, epoch: number, count = 2, valueBytes = 10): Buffer {
  return batchOfSize(count, valueBytes, { baseOffset, partitionLeaderEpoch: epoch });
}

const epochPairs = (log: PartitionLog) => log.epochEntries.map((e) => [e.epoch, e.startOffset]);
const checkpointText = (dir: string) => fs.readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "utf8");

test("when a log appends at the initial epoch, then epoch 0 is recorded at the first offset and no high watermark is checkpointed", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir);
  assert.equal(log.latestEpoch, UNDEFINED_EPOCH);
  appendRecords(log, 3);
  appendRecords(log, 2);
  assert.deepEqual(epochPairs(log), [[0, 0n]]);
  assert.equal(checkpointText(dir), "0\n1\n0 0\n");
  assert.equal(log.highWatermark, 0n);
  assert.equal(fs.existsSync(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)), false);
});

test("when the leader epoch rises between appends, then each new epoch is recorded at its first offset", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir);
  log.setLeaderEpoch(1);
  appendRecords(log, 2);
  log.setLeaderEpoch(4);
  appendRecords(log, 3);
  appendRecords(log, 1);
  log.setLeaderEpoch(6);
  appendRecords(log, 2);
  assert.deepEqual(epochPairs(log), [
    [1, 0n],
    [4, 2n],
    [6, 6n],
  ]);
  assert.equal(log.latestEpoch, 6);
  assert.equal(checkpointText(dir), "0\n3\n1 0\n4 2\n6 6\n");
  assert.deepEqual(log.endOffsetForEpoch(6), { epoch: 6, endOffset: 8n });
  assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 6n });
  assert.deepEqual(log.endOffsetForEpoch(5), { epoch: 4, endOffset: 6n });
  assert.deepEqual(log.endOffsetForEpoch(7), { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
});

test("when a follower appends its leader's batches, then they are stored byte for byte and their epochs recorded", (t) => {
  const log = openLog(t, tempDir(t));
  const batches = [leaderBatch(0n, 2, 3), leaderBatch(3n, 2, 1), leaderBatch(4n, 5, 2), leaderBatch(6n, 7, 4)];
  const pristine = Buffer.concat(batches);
  const first = log.appendAsFollower(Buffer.concat(batches.slice(0, 3)));
  assert.deepEqual([first.baseOffset, first.lastOffset], [0n, 5n]);
  const second = log.appendAsFollower(batches[3]!);
  assert.deepEqual([second.baseOffset, second.lastOffset], [6n, 9n]);
  assert.deepEqual(readAll(log), pristine);
  assert.equal(log.logEndOffset, 10n);
  assert.deepEqual(epochPairs(log), [
    [2, 0n],
    [5, 4n],
    [7, 6n],
  ]);
  assert.deepEqual(
    [...log.batches()].map((b) => readBatchHeader(b.bytes, 0).partitionLeaderEpoch),
    [2, 2, 5, 7],
  );
});

test("when a follower's records start below the log end, then UnexpectedAppendOffsetError names both offsets and the log is unchanged", (t) => {
  const log = openLog(t, tempDir(t));
  log.appendAsFollower(leaderBatch(0n, 1, 4));
  for (const firstOffset of [2n, 3n, 0n]) {
    assert.throws(
      () => log.appendAsFollower(leaderBatch(firstOffset, 1, 4)),
      (thrown: unknown) =>
        thrown instanceof UnexpectedAppendOffsetError &&
        thrown.firstOffset === firstOffset &&
        thrown.logEndOffset === 4n,
    );
  }
  assert.equal(log.logEndOffset, 4n);
  assert.equal(log.isOffline, false);
  assert.equal(log.appendAsFollower(leaderBatch(4n, 1)).baseOffset, 4n);
});

test("when a follower's batches do not have rising offsets, then OffsetsOutOfOrderError is thrown and nothing is stored", (t) => {
  const log = openLog(t, tempDir(t));
  const overlapping = Buffer.concat([leaderBatch(0n, 1, 3), leaderBatch(2n, 1, 3)]);
  assert.throws(() => log.appendAsFollower(overlapping), OffsetsOutOfOrderError);
  assert.equal(log.logEndOffset, 0n);
  assert.deepEqual(log.epochEntries, []);
});

test("when a follower's records are torn or fail their CRC, then MalformedRecordsError is thrown and nothing is stored", (t) => {
  const log = openLog(t, tempDir(t));
  const batch = leaderBatch(0n, 1, 3);
  assert.throws(() => log.appendAsFollower(batch.subarray(0, batch.length - 1)), MalformedRecordsError);
  const corrupt = Buffer.from(batch);
  corrupt[corrupt.length - 2]! ^= 0x01;
  assert.throws(() => log.appendAsFollower(corrupt), MalformedRecordsError);
  assert.throws(() => log.appendAsFollower(Buffer.alloc(0)), MalformedRecordsError);
  assert.equal(log.logEndOffset, 0n);
  assert.equal(log.isOffline, false);
});

test("when a follower's batch starts above the log end, as after compaction on the leader, then it is stored at its own offsets", (t) => {
  const log = openLog(t, tempDir(t));
  log.appendAsFollower(leaderBatch(0n, 1, 2));
  log.appendAsFollower(Buffer.concat([leaderBatch(5n, 1, 2), leaderBatch(9n, 2, 1)]));
  assert.equal(log.logEndOffset, 10n);
  assert.deepEqual(
    [...log.batches()].map((b) => b.baseOffset),
    [0n, 5n, 9n],
  );
  assert.deepEqual(epochPairs(log), [
    [1, 0n],
    [2, 9n],
  ]);
});

test("when follower appends count towards the flush policy, then they fsync like appends", (t) => {
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, tempDir(t), { flushIntervalMessages: 3 }, manualClock().clock, fileSystem);
  const logSyncs = () => fileSystem.syncs.filter((path) => path.endsWith(".log")).length;
  log.appendAsFollower(leaderBatch(0n, 0, 2));
  assert.equal(logSyncs(), 0);
  log.appendAsFollower(leaderBatch(2n, 0, 2));
  assert.equal(logSyncs(), 1);
});

test("when the log is truncated, then epochs starting at or after the new end go and the checkpoint follows", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 400 });
  log.appendAsFollower(Buffer.concat([leaderBatch(0n, 1, 4), leaderBatch(4n, 3, 4), leaderBatch(8n, 3, 2)]));
  log.appendAsFollower(Buffer.concat([leaderBatch(10n, 4, 2), leaderBatch(12n, 6, 2)]));
  log.truncateTo(12n);
  assert.deepEqual(epochPairs(log), [
    [1, 0n],
    [3, 4n],
    [4, 10n],
  ]);
  log.truncateTo(8n);
  assert.deepEqual(epochPairs(log), [
    [1, 0n],
    [3, 4n],
  ]);
  assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 8n });
  assert.equal(checkpointText(dir), "0\n2\n1 0\n3 4\n");
  log.setLeaderEpoch(8);
  appendRecords(log, 2);
  assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 8n });
  assert.deepEqual(log.endOffsetForEpoch(8), { epoch: 8, endOffset: 10n });
});

test("when the log restarts fully at an offset, then it is empty there, its epochs are forgotten and appends continue from it", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300 });
  for (let i = 0; i < 4; i++) log.appendAsFollower(leaderBatch(BigInt(2 * i), 1, 2, 100));
  log.updateHighWatermark(6n);
  log.truncateFullyAndStartAt(100n);
  assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark], [100n, 100n, 100n]);
  assert.deepEqual(log.epochEntries, []);
  assert.equal(checkpointText(dir), "0\n0\n");
  assert.deepEqual(
    fs.readdirSync(dir).filter((name) => name.endsWith(".log")),
    ["00000000000000000100.log"],
  );
  assert.equal(log.appendAsFollower(leaderBatch(100n, 2)).baseOffset, 100n);
  log.truncateFullyAndStartAt(100n);
  assert.equal(log.logEndOffset, 100n);
});

test("when truncating below the log start, then the epochs are forgotten with the data", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 300, retentionBytes: 0 });
  for (let i = 0; i < 5; i++) appendRecords(log, 1, 200);
  commitAll(log);
  log.applyRetention();
  log.truncateTo(2n);
  assert.deepEqual(log.epochEntries, []);
  log.setLeaderEpoch(3);
  appendRecords(log);
  assert.deepEqual(epochPairs(log), [[3, 2n]]);
});

test("when retention deletes segments, then the epoch holding the new log start is moved to start there", (t) => {
  const dir = tempDir(t);
  const log = openLog(t, dir, { segmentBytes: 300, retentionBytes: 0 });
  log.setLeaderEpoch(1);
  appendRecords(log, 1, 200);
  appendRecords(log, 1, 200);
  log.setLeaderEpoch(2);
  appendRecords(log, 1, 200);
  appendRecords(log, 1, 200);
  appendRecords(log, 1, 200);
  commitAll(log);
  log.applyRetention();
  assert.equal(log.logStartOffset, 4n);
  assert.deepEqual(epochPairs(log), [[2, 4n]]);
  assert.equal(checkpointText(dir), "0\n1\n2 4\n");
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 4n });
});

test("when a log appends, then the high watermark stays until the owner moves it", (t) => {
  const log = openLog(t, tempDir(t));
  appendRecords(log, 3);
  log.appendAsFollower(leaderBatch(3n, 0, 2));
  assert.equal(log.highWatermark, 0n);
  assert.deepEqual(log.read(0n, 10_000, true, log.highWatermark), { kind: "records", chunks: [], size: 0 });
  log.updateHighWatermark(3n);
  assert.equal(log.highWatermark, 3n);
  log.updateHighWatermark(99n);
  assert.equal(log.highWatermark, 5n);
});

test("when a log is reopened, then the high watermark checkpointed at close comes back", (t) => {
  const dir = tempDir(t);
  const first = openLog(t, dir);
  for (let i = 0; i < 4; i++) appendRecords(first, 2);
  first.updateHighWatermark(6n);
  first.close();
  assert.equal(fs.readFileSync(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE), "utf8"), "0\n1\n6\n");
  const reopened = openLog(t, dir);
  assert.equal(reopened.highWatermark, 6n);
  assert.equal(reopened.logEndOffset, 8n);
});

test("when the checkpointed high watermark is past the log end after a crash, then reopening clamps it to the log end", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, dir, {}, manualClock().clock, fileSystem);
  for (let i = 0; i < 4; i++) appendRecords(log, 2);
  log.updateHighWatermark(8n);
  log.checkpointHighWatermark();
  const activePath = log.segments.at(-1)!.logPath;
  fileSystem.crash();
  fs.truncateSync(activePath, fs.statSync(activePath).size - 5);
  const reopened = openLog(t, dir);
  assert.equal(reopened.logEndOffset, 6n);
  assert.equal(reopened.highWatermark, 6n);
});

test("when a log has no high watermark checkpoint, then it reopens with the high watermark at the log start", (t) => {
  const dir = tempDir(t);
  const first = openLog(t, dir);
  appendRecords(first, 4);
  commitAll(first);
  first.close();
  // As a log written by an older version of this project, or one whose checkpoint was lost, is found.
  fs.rmSync(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE));
  const reopened = openLog(t, dir);
  assert.equal(reopened.logEndOffset, 4n);
  assert.equal(reopened.highWatermark, 0n);
});

test("when the high watermark moves, then it is checkpointed on flush, on checkpointHighWatermark and from flushIfDue once the interval passed", (t) => {
  const dir = tempDir(t);
  const time = manualClock();
  const log = openLog(t, dir, { highWatermarkCheckpointIntervalMs: 1000 }, time.clock);
  const path = join(dir, HIGH_WATERMARK_CHECKPOINT_FILE);
  const checkpointed = () => (fs.existsSync(path) ? fs.readFileSync(path, "utf8").split("\n")[2] : null);
  for (let i = 0; i < 5; i++) appendRecords(log, 2);
  log.updateHighWatermark(2n);
  assert.equal(checkpointed(), null);
  log.flush();
  assert.equal(checkpointed(), "2");
  log.updateHighWatermark(4n);
  log.checkpointHighWatermark();
  assert.equal(checkpointed(), "4");
  log.updateHighWatermark(6n);
  time.advance(999);
  log.flushIfDue();
  assert.equal(checkpointed(), "4");
  time.advance(1);
  log.flushIfDue();
  assert.equal(checkpointed(), "6");
});

test("when a log records a new epoch, then the checkpoint is fsynced before the batch is written", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, dir, {}, manualClock().clock, fileSystem);
  log.setLeaderEpoch(3);
  appendRecords(log, 2);
  appendRecords(log, 2);
  assert.deepEqual(fileSystem.syncs, [join(dir, `${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`)]);
});

test("when writing the epoch checkpoint fails during an append, then the log goes offline and reopening is consistent", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const log = openLog(t, dir, {}, manualClock().clock, fileSystem);
  log.setLeaderEpoch(1);
  appendRecords(log, 2);
  log.setLeaderEpoch(2);
  fileSystem.failNextAppend(`${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`, 3);
  assert.throws(() => appendRecords(log, 2), InjectedFault);
  assert.throws(() => appendRecords(log, 1), LogOfflineError);
  fileSystem.crash();
  const reopened = openLog(t, dir);
  assert.equal(reopened.logEndOffset, 2n);
  assert.deepEqual(epochPairs(reopened), [[1, 0n]]);
  assert.equal(reopened.epochCacheRebuiltBecause, null);
});

// A model of the log: its batches (offsets and epoch), from which the expected answer of
// OffsetForLeaderEpoch is worked out by scanning, without any epoch bookkeeping.
interface ModelBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  epoch: number;
}

function endOffsetByScan(batches: readonly ModelBatch[], requested: number, logEnd: bigint): [number, bigint] {
  const undefinedAnswer: [number, bigint] = [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET];
  if (requested === UNDEFINED_EPOCH || batches.length === 0) return undefinedAnswer;
  const latest = batches.at(-1)!.epoch;
  if (requested === latest) return [requested, logEnd];
  const firstAbove = batches.find((batch) => batch.epoch > requested);
  if (firstAbove === undefined) return undefinedAnswer;
  const atOrBelow = batches.filter((batch) => batch.epoch <= requested);
  return [atOrBelow.length === 0 ? requested : atOrBelow.at(-1)!.epoch, firstAbove.baseOffset];
}

type Step =
  | { kind: "lead"; epochRise: number; records: number }
  | { kind: "follow"; epochRises: number[] }
  | { kind: "truncate"; batchPick: number }
  | { kind: "roll" }
  | { kind: "retain" }
  | { kind: "reopen" };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("lead" as const),
      epochRise: fc.nat(2),
      records: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("follow" as const),
      epochRises: fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), batchPick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("roll" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retain" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const) }) },
);

test("when appends with rising epochs, truncations, rolls, retention and reopenings happen in any order, then endOffsetForEpoch agrees with a scan of the batches", (t) => {
  fc.assert(
    fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }), (steps) => {
      const dir = join(tempDir(t), "p");
      const config = { segmentBytes: 500, retentionBytes: 1200 };
      let log = openLog(t, dir, config);
      let model: ModelBatch[] = [];
      let epoch = 0;
      try {
        for (const step of steps) {
          if (step.kind === "lead") {
            epoch += step.epochRise;
            log.setLeaderEpoch(epoch);
            const { baseOffset, lastOffset } = log.append(batchOfSize(step.records, 40));
            model.push({ baseOffset, lastOffset, epoch });
          } else if (step.kind === "follow") {
            const batches: Buffer[] = [];
            let next = log.logEndOffset;
            for (const rise of step.epochRises) {
              epoch += rise;
              batches.push(leaderBatch(next, epoch, 2, 40));
              model.push({ baseOffset: next, lastOffset: next + 1n, epoch });
              next += 2n;
            }
            log.appendAsFollower(Buffer.concat(batches));
          } else if (step.kind === "truncate" && model.length > 0) {
            const cut = model[step.batchPick % model.length]!.baseOffset;
            if (cut < log.logStartOffset) continue;
            log.truncateTo(cut);
            model = model.filter((batch) => batch.baseOffset < cut);
          } else if (step.kind === "roll") {
            log.roll();
          } else if (step.kind === "retain") {
            log.updateHighWatermark(log.logEndOffset);
            log.applyRetention();
            model = model.filter((batch) => batch.baseOffset >= log.logStartOffset);
          } else if (step.kind === "reopen") {
            log.close();
            log = openLog(t, dir, config);
            assert.equal(log.epochCacheRebuiltBecause, null);
          }
          const logEnd = log.logEndOffset;
          assert.equal(log.latestEpoch, model.at(-1)?.epoch ?? UNDEFINED_EPOCH);
          for (let requested = -1; requested <= epoch + 1; requested++) {
            const { epoch: found, endOffset } = log.endOffsetForEpoch(requested);
            assert.deepEqual([found, endOffset], endOffsetByScan(model, requested, logEnd), `epoch ${requested}`);
          }
        }
      } finally {
        log.close();
      }
    }),
    { numRuns: 60 },
  );
});
