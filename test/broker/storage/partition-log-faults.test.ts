// I/O error matrix of the partition log: EIO and ENOSPC on each kind of write and fsync it makes
// (segment log, offset index, time index, new segment files, the directory, the leader-epoch and
// high-watermark checkpoints, a truncation) while it runs the workload of fault-workload.ts, and a
// torn write at every byte of the last batch. The failing operation surfaces its error, the log
// goes offline (every later write refuses, naming the cause) and, restarted on a healthy disk —
// after a clean close or a power loss — it holds every acknowledged batch (flush.messages=1), ends
// at its last whole batch, has indexes that agree with it, and takes appends again.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LogOfflineError, type PartitionLog } from "../../../broker/storage/partition-log.ts";
import { ExpectedLog } from "./expected-log.ts";
import { freshDisk, openWorkloadLog, runWorkload } from "./fault-workload.ts";
import { FaultyFileSystem, type FileOperation, ioError, SimulatedCrash } from "./faulty-file-system.ts";
import type { SimulatedDisk } from "./simulated-disk.ts";

interface FaultPoint {
  what: string;
  operation: FileOperation;
  path: string;
}

const faultPoints: FaultPoint[] = [
  { what: "writing a segment's log", operation: "append", path: ".log" },
  { what: "fsyncing a segment's log", operation: "sync", path: ".log" },
  { what: "writing an offset index", operation: "append", path: ".index" },
  { what: "fsyncing an offset index", operation: "sync", path: ".index" },
  { what: "writing a time index", operation: "append", path: ".timeindex" },
  { what: "fsyncing a time index", operation: "sync", path: ".timeindex" },
  { what: "creating a new segment's files", operation: "open", path: ".index" },
  { what: "fsyncing the log directory", operation: "syncDir", path: "topic-0" },
  { what: "truncating a segment's log", operation: "truncate", path: ".log" },
  { what: "writing the leader-epoch checkpoint", operation: "append", path: "leader-epoch-checkpoint.tmp" },
  { what: "fsyncing the leader-epoch checkpoint", operation: "sync", path: "leader-epoch-checkpoint.tmp" },
  { what: "renaming the leader-epoch checkpoint", operation: "rename", path: "leader-epoch-checkpoint.tmp" },
  { what: "writing the high-watermark checkpoint", operation: "append", path: "high-watermark-checkpoint.tmp" },
  { what: "fsyncing the high-watermark checkpoint", operation: "sync", path: "high-watermark-checkpoint.tmp" },
  { what: "renaming the high-watermark checkpoint", operation: "rename", path: "high-watermark-checkpoint.tmp" },
];

const errnos = ["EIO", "ENOSPC"] as const;

const restarts: { how: string; before: (disk: SimulatedDisk, log: PartitionLog) => void }[] = [
  { how: "a clean close", before: (_, log) => log.close() },
  { how: "a power loss", before: (disk) => disk.powerLoss() },
];

function restartAndCheck(disk: SimulatedDisk, expected: ExpectedLog, label: string): PartitionLog {
  const restarted = openWorkloadLog(disk);
  expected.assertRecovered(restarted, (path) => disk.contentOf(path), label);
  expected.assertAppendsContinue(restarted, label);
  return restarted;
}

for (const point of faultPoints) {
  for (const code of errnos) {
    test(`when ${point.what} fails with ${code}, then the log goes offline naming it, and restarts whole`, () => {
      for (const restart of restarts) {
        const label = `${code} ${point.what}, restarted after ${restart.how}`;
        const disk = freshDisk();
        const faulty = new FaultyFileSystem(disk);
        const log = openWorkloadLog(faulty);
        const injected: Error[] = [];
        faulty.fail(point.operation, {
          path: point.path,
          // A full disk takes part of a write; a failing one none of it.
          bytesWritten: code === "ENOSPC" ? 5 : 0,
          error: (path) => {
            injected.push(ioError(code, point.operation, path));
            return injected.at(-1)!;
          },
        });
        const expected = new ExpectedLog();
        assert.throws(() => runWorkload(log, expected), { code }, label);
        assert.equal(injected.length, 1, `${label}: the fault fired`);
        assert.equal(log.isOffline, true, label);
        for (const write of [() => log.append(expected.nextBatch()), () => log.flush(), () => log.roll()]) {
          assert.throws(write, (error: unknown) => {
            assert.ok(error instanceof LogOfflineError, label);
            assert.equal(error.cause, injected[0], `${label}: the offline error carries the cause`);
            assert.match(error.message, /topic-0 is offline/);
            return true;
          });
        }
        restart.before(disk, log);
        restartAndCheck(disk, expected, label).close();
      }
    });
  }
}

test("when the last batch is torn at any byte, by a failing write or a crash, then the log restarts at the batch before it", () => {
  const endings = [
    {
      how: "a write failing",
      arm: (faulty: FaultyFileSystem, bytes: number) => faulty.fail("append", { path: ".log", bytesWritten: bytes }),
    },
    {
      how: "a crash",
      arm: (faulty: FaultyFileSystem, bytes: number) => faulty.crashAtOperation(1, { tornBytes: bytes }),
    },
  ];
  const size = new ExpectedLog().nextBatch(3).length;
  for (const ending of endings) {
    for (let torn = 0; torn <= size; torn++) {
      const label = `${ending.how} after ${torn} of ${size} bytes`;
      const disk = freshDisk();
      const faulty = new FaultyFileSystem(disk);
      const log = openWorkloadLog(faulty);
      const expected = new ExpectedLog();
      log.setLeaderEpoch(1);
      for (let i = 0; i < 5; i++) expected.append(log, expected.nextBatch(3));
      const endBefore = log.logEndOffset;
      ending.arm(faulty, torn);
      assert.throws(
        () => expected.append(log, expected.nextBatch(3)),
        (error) => error instanceof SimulatedCrash || (error as NodeJS.ErrnoException).code === "EIO",
        label,
      );
      disk.kill();
      const restarted = openWorkloadLog(disk);
      const whole = torn === size;
      assert.equal(restarted.logEndOffset, whole ? endBefore + 3n : endBefore, label);
      assert.equal(restarted.recoveries.at(-1)!.truncatedBytes, whole ? 0 : torn, label);
      expected.assertRecovered(restarted, (path) => disk.contentOf(path), label);
      expected.assertAppendsContinue(restarted, label);
      restarted.close();
    }
  }
});
