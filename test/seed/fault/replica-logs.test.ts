// A replica read from its segment files as a running broker leaves them: batches from every
// segment in base-offset order, records with their offsets and leader epochs, a batch still being
// written at the end left out, and no files at all for a replica the broker does not host.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { replicaDir, replicaLogBytes, replicaRecords, segmentFiles } from "../../../seed/fault/replica-logs.ts";
import { useScratchDirs } from "../../helpers/scratch-dirs.ts";

const batch = (baseOffset: number, epoch: number, values: string[]): Buffer =>
  encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: epoch,
    records: values.map((value) => ({ key: Buffer.from("k"), value: Buffer.from(value), timestamp: 1000n })),
  });

describe("replica logs", () => {
  const scratch = useScratchDirs("replica-logs-");

  /** A replica with two segments: offsets 0-2 at epoch 0, then 3-4 at epoch 1 in the next segment. */
  const replica = (tail: Buffer = Buffer.alloc(0)) => {
    const dir = replicaDir(scratch(), 2, "orders", 1);
    mkdirSync(dir, { recursive: true });
    const first = Buffer.concat([batch(0, 0, ["a", "b"]), batch(2, 0, ["c"])]);
    const second = Buffer.concat([batch(3, 1, ["d", "e"]), tail]);
    writeFileSync(join(dir, "00000000000000000003.log"), second);
    writeFileSync(join(dir, "00000000000000000000.log"), first);
    writeFileSync(join(dir, "00000000000000000000.index"), Buffer.alloc(8));
    return { dir, bytes: Buffer.concat([first, batch(3, 1, ["d", "e"])]) };
  };

  it("when a replica has two segments, then its records come in offset order with the epoch of their batch", () => {
    const { dir } = replica();
    assert.equal(dir.endsWith(join("broker-2", "orders-1")), true);
    assert.deepEqual(
      segmentFiles(dir).map((f) => f.slice(-24)),
      ["00000000000000000000.log", "00000000000000000003.log"],
    );
    assert.deepEqual(
      replicaRecords(dir).map((r) => [r.offset, r.leaderEpoch, r.key, r.value]),
      [
        [0n, 0, "k", "a"],
        [1n, 0, "k", "b"],
        [2n, 0, "k", "c"],
        [3n, 1, "k", "d"],
        [4n, 1, "k", "e"],
      ],
    );
  });

  it("when the last batch is still being written, then the bytes and records leave it out", () => {
    const torn = batch(5, 1, ["f"]).subarray(0, 30);
    const { dir, bytes } = replica(torn);
    assert.deepEqual(replicaLogBytes(dir), bytes);
    assert.equal(replicaRecords(dir).length, 5);
  });

  it("when two replicas hold the same batches, then their bytes are equal, whatever else their dirs hold", () => {
    assert.deepEqual(replicaLogBytes(replica().dir), replicaLogBytes(replica().dir));
  });

  it("when the broker hosts no such replica, then there is nothing to read", () => {
    const dir = replicaDir(scratch(), 0, "missing", 0);
    assert.deepEqual(segmentFiles(dir), []);
    assert.equal(replicaLogBytes(dir).length, 0);
    assert.deepEqual(replicaRecords(dir), []);
  });
});
