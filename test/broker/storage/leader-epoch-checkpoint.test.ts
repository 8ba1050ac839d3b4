// The leader-epoch cache and its checkpoint file: Kafka's assign, truncation and endOffsetFor
// rules, the file's exact bytes, reading it back, and an atomic rewrite under injected faults.
// Checking the file against a log and rebuilding it at open is in log-loader.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CheckpointFileError } from "../../../broker/storage/checkpoint-file.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import {
  LEADER_EPOCH_CHECKPOINT_FILE,
  LeaderEpochFileCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from "../../../broker/storage/leader-epoch-checkpoint.ts";
import { FaultyFileSystem, InjectedFault, tempDir } from "./faulty-file-system.ts";

type Pairs = Array<[number, bigint]>;

function cacheIn(dir: string, pairs: Pairs = [], fileSystem = nodeFileSystem, sync = false): LeaderEpochFileCache {
  const cache = new LeaderEpochFileCache(fileSystem, dir, [], { sync });
  for (const [epoch, startOffset] of pairs) cache.assign(epoch, startOffset);
  return cache;
}

const pairsOf = (cache: LeaderEpochFileCache): Pairs => cache.epochEntries.map((e) => [e.epoch, e.startOffset]);
const fileText = (dir: string) => fs.readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), "utf8");

test("when epochs are assigned, then the file holds Kafka's format byte for byte", (t) => {
  const dir = tempDir(t);
  const cache = cacheIn(dir, [
    [0, 0n],
    [1, 2n],
    [3, 10n],
  ]);
  assert.equal(fileText(dir), "0\n3\n0 0\n1 2\n3 10\n");
  assert.deepEqual(fs.readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE)), Buffer.from("0\n3\n0 0\n1 2\n3 10\n"));
  assert.equal(cache.latestEpoch, 3);
  assert.deepEqual(cache.latestEntry, { epoch: 3, startOffset: 10n });
});

test("when a new cache is made, then nothing is written until something changes", (t) => {
  const dir = tempDir(t);
  const cache = new LeaderEpochFileCache(nodeFileSystem, dir, [{ epoch: 2, startOffset: 5n }], { sync: false });
  assert.deepEqual(pairsOf(cache), [[2, 5n]]);
  assert.equal(fs.existsSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE)), false);
  assert.equal(new LeaderEpochFileCache(nodeFileSystem, dir, [], { sync: false }).latestEpoch, UNDEFINED_EPOCH);
});

test("when the latest epoch is assigned again at a later offset, then nothing changes and the file is not rewritten", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const cache = cacheIn(dir, [[4, 7n]], fileSystem, true);
  const syncs = fileSystem.syncs.length;
  cache.assign(4, 9n);
  cache.assign(4, 7n);
  assert.deepEqual(pairsOf(cache), [[4, 7n]]);
  assert.equal(fileSystem.syncs.length, syncs);
});

test("when the latest epoch is assigned at an earlier offset, then its entry moves there", (t) => {
  const dir = tempDir(t);
  const cache = cacheIn(dir, [
    [1, 0n],
    [4, 7n],
  ]);
  cache.assign(4, 5n);
  assert.deepEqual(pairsOf(cache), [
    [1, 0n],
    [4, 5n],
  ]);
  assert.equal(fileText(dir), "0\n2\n1 0\n4 5\n");
});

test("when an entry would break the order, then the entries it conflicts with are dropped first, as Kafka does", (t) => {
  const dir = tempDir(t);
  const cache = cacheIn(dir, [
    [1, 0n],
    [2, 10n],
    [3, 20n],
  ]);
  // A lower epoch drops every entry with an epoch at least as large.
  cache.assign(2, 25n);
  assert.deepEqual(pairsOf(cache), [
    [1, 0n],
    [2, 25n],
  ]);
  // A start offset below the last one drops every entry starting at or after it.
  cache.assign(5, 0n);
  assert.deepEqual(pairsOf(cache), [[5, 0n]]);
  assert.equal(fileText(dir), "0\n1\n5 0\n");
});

test("when an epoch or offset is negative, then assign refuses it", (t) => {
  const cache = cacheIn(tempDir(t));
  assert.throws(() => cache.assign(-1, 0n), RangeError);
  assert.throws(() => cache.assign(0, -1n), RangeError);
  assert.throws(() => cache.assign(1.5, 0n), RangeError);
});

test("when truncating from the end, then entries starting at or after the offset go", (t) => {
  const dir = tempDir(t);
  const cache = cacheIn(dir, [
    [1, 0n],
    [2, 10n],
    [3, 20n],
  ]);
  cache.truncateFromEnd(25n);
  assert.equal(cache.epochEntries.length, 3);
  cache.truncateFromEnd(10n);
  assert.deepEqual(pairsOf(cache), [[1, 0n]]);
  assert.equal(fileText(dir), "0\n1\n1 0\n");
  cache.truncateFromEnd(-1n);
  cache.truncateFromEnd(0n);
  assert.deepEqual(pairsOf(cache), []);
  assert.equal(fileText(dir), "0\n0\n");
});

test("when truncating from the start, then the epoch holding the new start stays, moved to start there", (t) => {
  const dir = tempDir(t);
  const cache = cacheIn(dir, [
    [1, 0n],
    [2, 5n],
    [3, 8n],
  ]);
  cache.truncateFromStart(6n);
  assert.deepEqual(pairsOf(cache), [
    [2, 6n],
    [3, 8n],
  ]);
  // Exclusive: an entry starting exactly at the new start is kept as it is.
  cache.truncateFromStart(8n);
  assert.deepEqual(pairsOf(cache), [[3, 8n]]);
  cache.truncateFromStart(2n);
  assert.deepEqual(pairsOf(cache), [[3, 8n]]);
  cache.truncateFromStart(100n);
  assert.deepEqual(pairsOf(cache), [[3, 100n]]);
  assert.equal(fileText(dir), "0\n1\n3 100\n");
});

test("when asked for an epoch's end offset, then the answers follow Kafka's OffsetForLeaderEpoch rules", (t) => {
  const cache = cacheIn(tempDir(t), [
    [1, 0n],
    [3, 10n],
    [5, 20n],
  ]);
  const logEnd = 30n;
  const ask = (epoch: number) => {
    const { epoch: found, endOffset } = cache.endOffsetFor(epoch, logEnd);
    return [found, endOffset];
  };
  // The latest epoch ends at the log end.
  assert.deepEqual(ask(5), [5, 30n]);
  // An older epoch ends where the next one starts.
  assert.deepEqual(ask(1), [1, 10n]);
  assert.deepEqual(ask(3), [3, 20n]);
  // An epoch this log never had: the largest below it, ending where the next one starts.
  assert.deepEqual(ask(2), [1, 10n]);
  assert.deepEqual(ask(4), [3, 20n]);
  // Below every known epoch: the requested epoch, ending at the first entry's start.
  assert.deepEqual(ask(0), [0, 0n]);
  // Above the latest, or undefined: nothing known.
  assert.deepEqual(ask(6), [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET]);
  assert.deepEqual(ask(UNDEFINED_EPOCH), [UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET]);
});

test("when the cache is empty, then every epoch's end offset is undefined", (t) => {
  const cache = cacheIn(tempDir(t));
  for (const epoch of [-1, 0, 7]) {
    assert.deepEqual(cache.endOffsetFor(epoch, 12n), { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
  }
});

test("when asked which epoch wrote an offset, then it is the last epoch starting at or before it", (t) => {
  const cache = cacheIn(tempDir(t), [
    [2, 5n],
    [4, 9n],
  ]);
  assert.deepEqual(
    [0n, 5n, 8n, 9n, 100n].map((offset) => cache.epochForOffset(offset)),
    [UNDEFINED_EPOCH, 2, 2, 4, 4],
  );
});

test("when reset, then the entries are replaced and the file rewritten once", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const cache = cacheIn(dir, [[9, 90n]], fileSystem, true);
  const syncs = fileSystem.syncs.length;
  cache.reset([
    { epoch: 1, startOffset: 0n },
    { epoch: 2, startOffset: 4n },
  ]);
  assert.equal(fileSystem.syncs.length, syncs + 1);
  assert.equal(fileText(dir), "0\n2\n1 0\n2 4\n");
  cache.reset([]);
  assert.equal(fileText(dir), "0\n0\n");
});

test("when the file is read back, then the entries are those written; a missing file reads as null", (t) => {
  const dir = tempDir(t);
  assert.equal(LeaderEpochFileCache.readEntries(nodeFileSystem, dir), null);
  cacheIn(dir, [
    [0, 0n],
    [7, 123456789012n],
  ]);
  assert.deepEqual(LeaderEpochFileCache.readEntries(nodeFileSystem, dir), [
    { epoch: 0, startOffset: 0n },
    { epoch: 7, startOffset: 123456789012n },
  ]);
});

test("when the file is not a leader-epoch checkpoint, then reading it throws a CheckpointFileError", (t) => {
  const dir = tempDir(t);
  const path = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
  for (const text of ["0\n1\n1\n", "0\n1\n1 x\n", "0\n1\n-1 0\n", "0\n2\n1 0\n", "1\n0\n", "0\n1\n3000000000 0\n"]) {
    fs.writeFileSync(path, text);
    assert.throws(() => LeaderEpochFileCache.readEntries(nodeFileSystem, dir), CheckpointFileError, text);
  }
});

test("when a rewrite fails half-way through the temp file, then the file on disk still holds the previous entries", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const cache = cacheIn(
    dir,
    [
      [1, 0n],
      [2, 10n],
    ],
    fileSystem,
    true,
  );
  fileSystem.failNextAppend(`${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`, 6);
  assert.throws(() => cache.assign(3, 20n), InjectedFault);
  fileSystem.crash();
  assert.equal(fileText(dir), "0\n2\n1 0\n2 10\n");
  assert.deepEqual(LeaderEpochFileCache.readEntries(nodeFileSystem, dir), [
    { epoch: 1, startOffset: 0n },
    { epoch: 2, startOffset: 10n },
  ]);
});

test("when the rename fails, then the previous file stays and a later write replaces it whole", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const cache = cacheIn(dir, [[1, 0n]], fileSystem, true);
  fileSystem.failRenamesWith = new InjectedFault("rename failed");
  assert.throws(() => cache.truncateFromEnd(0n), InjectedFault);
  assert.equal(fileText(dir), "0\n1\n1 0\n");
  fileSystem.failRenamesWith = null;
  cache.assign(2, 3n);
  assert.equal(fileText(dir), "0\n1\n2 3\n");
});

test("when sync is on, then every rewrite is fsynced with its directory", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const cache = cacheIn(dir, [], fileSystem, true);
  cache.assign(1, 0n);
  cache.assign(2, 5n);
  cache.truncateFromEnd(5n);
  assert.equal(fileSystem.syncs.length, 3);
  assert.equal(fileSystem.dirSyncs, 3);
  const quiet = new FaultyFileSystem();
  cacheIn(tempDir(t), [[1, 0n]], quiet, false);
  assert.deepEqual([quiet.syncs.length, quiet.dirSyncs], [0, 0]);
});
