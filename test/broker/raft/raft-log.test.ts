// The metadata log over a replicated PartitionLog: appends as leader and follower, the epoch
// lookups Raft makes, the divergence check, truncation to a DivergingEpoch, and the committed
// offset surviving a reopen.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { dataBatch } from "../../../broker/raft/raft-batches.ts";
import { METADATA_LOG_DIR_NAME, RaftLog } from "../../../broker/raft/raft-log.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";

/** Opens logs for one test; afterwards they are closed, then their directories removed. */
function logFixture(t: TestContext): { dir(): string; open(dir?: string): RaftLog } {
  const dirs: string[] = [];
  const logs: RaftLog[] = [];
  t.after(() => {
    for (const log of logs) log.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const fixture: { dir(): string; open(dir?: string): RaftLog } = {
    dir() {
      const dir = mkdtempSync(join(tmpdir(), "raft-log-"));
      dirs.push(dir);
      return dir;
    },
    open(dir?: string) {
      const log = RaftLog.open(nodeFileSystem, dir ?? fixture.dir());
      logs.push(log);
      return log;
    },
  };
  return fixture;
}

function openLog(t: TestContext): RaftLog {
  return logFixture(t).open();
}

/** Appends one batch of `count` records in `epoch`. */
function append(log: RaftLog, epoch: number, count = 1): void {
  log.appendAsLeader(
    dataBatch(
      Array.from({ length: count }, (_, i) => Buffer.from(`e${epoch}-${i}`)),
      epoch,
      0,
    ),
    epoch,
  );
}

/** A log with epochs 1 (offsets 0-1), 3 (2-4) and 4 (5). */
function threeEpochs(t: TestContext): RaftLog {
  const log = openLog(t);
  append(log, 1, 2);
  append(log, 3, 3);
  append(log, 4, 1);
  return log;
}

describe("the metadata log", () => {
  it("when opened, then it lives in __cluster_metadata-0 and starts empty in epoch 0", (t) => {
    const log = openLog(t);
    assert.ok(log.dir.endsWith(METADATA_LOG_DIR_NAME));
    assert.deepEqual(log.endPosition, { offset: 0n, epoch: 0 });
    assert.equal(log.highWatermark, 0n);
  });

  it("when a leader appends, then the batch is stamped with its epoch and the commit point stays", (t) => {
    const log = threeEpochs(t);
    assert.deepEqual(log.endPosition, { offset: 6n, epoch: 4 });
    assert.equal(log.highWatermark, 0n);
    const [first] = log.batchesBelow(0n, 6n);
    assert.equal(first!.partitionLeaderEpoch, 1);
  });

  it("when the end of an epoch is asked, then it is where the next epoch starts, or the log end for the last", (t) => {
    const log = threeEpochs(t);
    assert.deepEqual(log.endOffsetForEpoch(1), { offset: 2n, epoch: 1 });
    assert.deepEqual(log.endOffsetForEpoch(2), { offset: 2n, epoch: 1 }, "no batch of epoch 2: epoch 1 and its end");
    assert.deepEqual(log.endOffsetForEpoch(4), { offset: 6n, epoch: 4 });
  });

  it("when a replica's position matches this log, then it is valid; when not, the point to truncate to is given", (t) => {
    const log = threeEpochs(t);
    assert.deepEqual(log.validateFetchPosition(0n, 0), { kind: "valid" });
    assert.deepEqual(log.validateFetchPosition(4n, 3), { kind: "valid" });
    assert.deepEqual(log.validateFetchPosition(6n, 4), { kind: "valid" });
    assert.deepEqual(log.validateFetchPosition(7n, 3), { kind: "diverging", divergingAt: { offset: 5n, epoch: 3 } });
    assert.deepEqual(log.validateFetchPosition(4n, 2), { kind: "diverging", divergingAt: { offset: 2n, epoch: 1 } });
  });

  it("when told to truncate to a DivergingEpoch, then it cuts at the end of the common epoch", (t) => {
    const log = threeEpochs(t);
    assert.equal(log.truncateToEndOffset({ offset: 3n, epoch: 3 }), 3n);
    assert.deepEqual(log.endPosition, { offset: 3n, epoch: 3 });
    const other = threeEpochs(t);
    assert.equal(other.truncateToEndOffset({ offset: 4n, epoch: 2 }), 2n, "epoch 2 is not here: epoch 1's end");
  });

  it("when a follower appends the leader's batches, then offsets and epochs are kept as sent", (t) => {
    const leader = threeEpochs(t);
    const follower = openLog(t);
    assert.notEqual(leader.dir, follower.dir);
    follower.appendAsFollower(Buffer.concat(leader.read(0n, 1 << 20)));
    assert.deepEqual(follower.endPosition, leader.endPosition);
    assert.deepEqual(follower.endOffsetForEpoch(3), { offset: 5n, epoch: 3 });
    assert.deepEqual(Buffer.concat(follower.read(0n, 1 << 20)), Buffer.concat(leader.read(0n, 1 << 20)));
  });

  it("when reopened, then the committed offset it was flushed with comes back", (t) => {
    const fixture = logFixture(t);
    const dir = fixture.dir();
    const log = RaftLog.open(nodeFileSystem, dir);
    append(log, 1, 3);
    log.updateHighWatermark(2n);
    log.flush();
    log.close();
    const again = fixture.open(dir);
    assert.equal(again.highWatermark, 2n);
    assert.equal(again.endOffset, 3n);
  });

  it("when batches below an offset are asked, then only whole batches ending below it come", (t) => {
    const log = threeEpochs(t);
    assert.deepEqual(
      log.batchesBelow(0n, 5n).map((batch) => batch.baseOffset),
      [0n, 2n],
    );
    assert.deepEqual(
      log.batchesBelow(2n, 6n).map((batch) => batch.baseOffset),
      [2n, 5n],
    );
    assert.deepEqual(log.batchesBelow(5n, 5n), []);
  });
});
