// The metadata log's readers: committed batches from the log start, in order, once each, control
// batches skipped, a failing reader isolated, a reader that appends while reading; leader changes
// told once each.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { type CommittedBatch, dataBatch, leaderChangeBatch } from "../../../broker/raft/raft-batches.ts";
import { RaftListeners } from "../../../broker/raft/raft-listeners.ts";
import { RaftLog } from "../../../broker/raft/raft-log.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";

function logWithBatches(t: TestContext): RaftLog {
  const dir = mkdtempSync(join(tmpdir(), "raft-publisher-"));
  const log = RaftLog.open(nodeFileSystem, dir);
  t.after(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  log.appendAsLeader(leaderChangeBatch(0, [0], [0], 1, 0), 1);
  log.appendAsLeader(dataBatch([Buffer.from("a"), Buffer.from("b")], 1, 0), 1);
  log.appendAsLeader(dataBatch([Buffer.from("c")], 1, 0), 1);
  return log;
}

const values = (batches: CommittedBatch[]) => batches.flatMap((batch) => batch.records.map(String));

describe("the metadata log's listeners", () => {
  it("when batches commit, then each reader gets the data batches below the commit point once, in order", (t) => {
    const log = logWithBatches(t);
    const publisher = new RaftListeners(log, silentLogger);
    const got: CommittedBatch[] = [];
    publisher.onCommitted((batch) => got.push(batch));
    publisher.publish(3n);
    assert.deepEqual(values(got), ["a", "b"]);
    assert.equal(got[0]!.baseOffset, 1n);
    publisher.publish(3n);
    publisher.publish(4n);
    assert.deepEqual(values(got), ["a", "b", "c"]);
    assert.equal(publisher.caughtUpTo(4n), true);
  });

  it("when a reader joins late, then it gets everything from the log start", (t) => {
    const log = logWithBatches(t);
    const publisher = new RaftListeners(log, silentLogger);
    publisher.publish(4n);
    const got: CommittedBatch[] = [];
    publisher.onCommitted((batch) => got.push(batch));
    assert.equal(publisher.caughtUpTo(4n), false);
    publisher.publish(4n);
    assert.deepEqual(values(got), ["a", "b", "c"]);
  });

  it("when a reader throws, then the others still get every batch", (t) => {
    const log = logWithBatches(t);
    const publisher = new RaftListeners(log, silentLogger);
    publisher.onCommitted(() => {
      throw new Error("bad reader");
    });
    const got: CommittedBatch[] = [];
    publisher.onCommitted((batch) => got.push(batch));
    publisher.publish(4n);
    assert.deepEqual(values(got), ["a", "b", "c"]);
  });

  it("when a reader appends and publishes while reading, then every reader still gets each batch once", (t) => {
    const log = logWithBatches(t);
    const publisher = new RaftListeners(log, silentLogger);
    const got: CommittedBatch[] = [];
    let appended = false;
    publisher.onCommitted((batch) => {
      got.push(batch);
      if (!appended) {
        appended = true;
        log.appendAsLeader(dataBatch([Buffer.from("d")], 1, 0), 1);
        publisher.publish(5n);
      }
    });
    publisher.publish(4n);
    assert.deepEqual(values(got), ["a", "b", "c", "d"]);
  });

  it("when a reader unsubscribes, then it gets nothing more", (t) => {
    const log = logWithBatches(t);
    const publisher = new RaftListeners(log, silentLogger);
    const got: CommittedBatch[] = [];
    const stop = publisher.onCommitted((batch) => got.push(batch));
    publisher.publish(3n);
    stop();
    publisher.publish(4n);
    assert.deepEqual(values(got), ["a", "b"]);
  });

  it("when the leader changes, then each listener is told each new leader and epoch once", (t) => {
    const publisher = new RaftListeners(logWithBatches(t), silentLogger);
    const told: string[] = [];
    publisher.onLeaderChange((leader) => told.push(`${leader.leaderId}@${leader.epoch}`));
    publisher.announce({ leaderId: null, epoch: 1 });
    publisher.announce({ leaderId: 2, epoch: 1 });
    publisher.announce({ leaderId: 2, epoch: 1 });
    publisher.announce({ leaderId: null, epoch: 2 });
    assert.deepEqual(told, ["null@1", "2@1", "null@2"]);
  });
});
