// A partition's idempotent-producer state across a restart through the log's producer snapshots:
// restored from the newest snapshot with only the batches after it read, the same state as a
// full rescan when no snapshot is usable, and resent batches still recognised either way. Reads
// are counted per `.log` file through a FileSystem wrapper.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import type { Partition } from "../../../broker/server/partition.ts";
import { type FileHandle, type FileSystem, nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { leaderAlone } from "./replication/partition-state-fixture.ts";

/** The real disk, counting the bytes read from each file (by name). */
class ReadCountingFileSystem implements FileSystem {
  readonly bytesRead = new Map<string, number>();

  open(path: string, options: { create: boolean }): FileHandle {
    const inner = nodeFileSystem.open(path, options);
    const counts = this.bytesRead;
    return new Proxy(inner, {
      get(target, property) {
        if (property !== "read") {
          const value = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (into: Buffer, intoOffset: number, length: number, position: number): number => {
          const read = target.read(into, intoOffset, length, position);
          counts.set(basename(path), (counts.get(basename(path)) ?? 0) + read);
          return read;
        };
      },
    });
  }
  exists = nodeFileSystem.exists;
  list = nodeFileSystem.list;
  mkdirp = nodeFileSystem.mkdirp;
  remove = nodeFileSystem.remove;
  removeDir = nodeFileSystem.removeDir;
  rename = nodeFileSystem.rename;
  syncDir = nodeFileSystem.syncDir;
}

// Segments of about 20 batches, larger than the 16 KiB a lookup reads at once, and indexed at every
// batch: opening the log reads only a little of each sealed segment.
const logConfig = { segmentBytes: 40_000, indexIntervalBytes: 0 };

// Removed once every test is done, so after the logs opened in them are closed.
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A partition on a temp dir, and how to open that dir again (a restart, clean or not). */
function partitionDir(t: TestContext): { dir: string; open(fs?: FileSystem): Partition } {
  const dir = mkdtempSync(join(tmpdir(), "producer-snapshots-"));
  dirs.push(dir);
  const open = (fileSystem: FileSystem = nodeFileSystem): Partition =>
    leaderAlone(t, { dir, fs: fileSystem, logConfig }).partition;
  return { dir, open };
}

const sequenced = (id: bigint, sequence: number, count = 2): Buffer =>
  encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.alloc(1000, i), timestamp: 1n })),
    producerId: id,
    producerEpoch: 0,
    baseSequence: sequence,
  });

/** Produces `batches` batches for each producer, interleaved; returns every batch as sent by producer. */
function produce(partition: Partition, producers: readonly bigint[], batches: number): Map<bigint, Buffer[]> {
  const sent = new Map<bigint, Buffer[]>(producers.map((id) => [id, []]));
  for (let i = 0; i < batches; i++) {
    for (const id of producers) {
      const batch = sequenced(id, i * 2);
      const outcome = partition.append(Buffer.from(batch));
      assert.equal(outcome.errorCode, ErrorCode.NONE, String(outcome.errorMessage));
      sent.get(id)!.push(batch);
    }
  }
  return sent;
}

const segmentLogs = (dir: string): { name: string; size: number }[] =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .sort()
    .map((name) => ({ name, size: fs.statSync(join(dir, name)).size }));

const snapshotFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".snapshot"))
    .sort();

describe("producer state across a restart", () => {
  it("when the broker stops without closing the log after rolls, then the state comes from the newest snapshot and only the segments after it are read whole", (t) => {
    const { dir, open } = partitionDir(t);
    const first = open();
    produce(first, [5n, 6n], 50);
    const before = first.producers.toSnapshot();
    const segments = segmentLogs(dir);
    assert.ok(segments.length >= 4, `${segments.length} segments`);
    // The first partition is left open, as a killed process leaves it: no snapshot at close.
    const newestSnapshot = snapshotFiles(dir).at(-1)!;
    assert.equal(newestSnapshot.replace(".snapshot", ".log"), segments.at(-1)!.name, "the last roll's snapshot");

    const counting = new ReadCountingFileSystem();
    const reopened = open(counting);
    assert.deepEqual(reopened.producers.toSnapshot(), before);
    const readWhole = segments.filter(({ name, size }) => (counting.bytesRead.get(name) ?? 0) >= size);
    assert.deepEqual(
      readWhole.map(({ name }) => name),
      [segments.at(-1)!.name],
      "only the active segment, after the snapshot, is read whole",
    );
  });

  it("when every snapshot is corrupt, then the whole log is rescanned and the state is the same as from the snapshot", (t) => {
    const { dir, open } = partitionDir(t);
    const first = open();
    produce(first, [5n, 6n, 7n], 30);
    first.log.close();
    const fromSnapshot = open().producers.toSnapshot();
    const segments = segmentLogs(dir);

    for (const name of snapshotFiles(dir)) {
      const bytes = fs.readFileSync(join(dir, name));
      bytes[bytes.length - 3]! ^= 0x10;
      fs.writeFileSync(join(dir, name), bytes);
    }
    const counting = new ReadCountingFileSystem();
    const rescanned = open(counting);
    assert.deepEqual(rescanned.producers.toSnapshot(), fromSnapshot);
    for (const { name, size } of segments) {
      assert.ok((counting.bytesRead.get(name) ?? 0) >= size, `${name} was read whole`);
    }
  });

  it("when producers resend batches stored in sealed segments after a restart, then they get their first offsets back and nothing is appended", (t) => {
    const { open } = partitionDir(t);
    const first = open();
    const sent = produce(first, [5n, 6n], 30);
    first.log.close();
    const reopened = open();
    const end = reopened.log.logEndOffset;
    const offsetsOf = new Map<bigint, bigint[]>();
    for (const batch of reopened.log.batches()) {
      const known = offsetsOf.get(batch.producerId) ?? [];
      offsetsOf.set(batch.producerId, [...known, batch.baseOffset]);
    }
    for (const id of [5n, 6n]) {
      // The last five batches of each producer are remembered, as Kafka remembers them.
      const batches = sent.get(id)!;
      for (let i = batches.length - 5; i < batches.length; i++) {
        const outcome = reopened.append(Buffer.from(batches[i]!));
        assert.deepEqual([outcome.errorCode, outcome.baseOffset], [ErrorCode.NONE, offsetsOf.get(id)![i]]);
      }
    }
    assert.equal(reopened.log.logEndOffset, end);
    const next = reopened.append(sequenced(5n, 60));
    assert.deepEqual([next.errorCode, next.baseOffset], [ErrorCode.NONE, end]);
    assert.equal(reopened.append(sequenced(6n, 70)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });
});
