import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import {
  BatchFileScanner,
  framingProblemAt,
  hasValidCrc,
  isControlBatch,
  readBatchHeader,
} from "../../../broker/storage/record-batch.ts";
import { batchOfSize, buildBatch } from "./batch-builder.ts";
import { tempDir } from "./faulty-file-system.ts";

test("when a batch header is read, then every field matches what was written", () => {
  const batch = buildBatch({
    baseOffset: 40n,
    records: [{ key: "a", value: "1", timestampDelta: 0 }, { key: "b", value: "2", timestampDelta: 7 }],
    baseTimestamp: 1000n,
    partitionLeaderEpoch: 3,
    producerId: 99n,
    producerEpoch: 2,
    baseSequence: 5,
    attributes: 0x20,
  });
  const header = readBatchHeader(batch);
  assert.equal(header.baseOffset, 40n);
  assert.equal(header.lastOffset, 41n);
  assert.equal(header.sizeInBytes, batch.length);
  assert.equal(header.partitionLeaderEpoch, 3);
  assert.equal(header.magic, 2);
  assert.equal(header.baseTimestamp, 1000n);
  assert.equal(header.maxTimestamp, 1007n);
  assert.equal(header.producerId, 99n);
  assert.equal(header.producerEpoch, 2);
  assert.equal(header.baseSequence, 5);
  assert.equal(header.recordCount, 2);
  assert.equal(isControlBatch(header.attributes), true);
});

test("when base offset or leader epoch is rewritten, then the CRC still holds; when a record byte flips, it does not", () => {
  const batch = buildBatch();
  batch.writeBigInt64BE(123n, 0);
  batch.writeInt32BE(9, 12);
  assert.equal(hasValidCrc(batch), true);
  batch[batch.length - 2]! ^= 0xff;
  assert.equal(hasValidCrc(batch), false);
});

test("when framing is checked, then torn, short and wrong-magic batches are told apart", () => {
  const batch = buildBatch();
  assert.equal(framingProblemAt(batch, 0, batch.length), null);
  assert.equal(framingProblemAt(batch, 0, 30), "torn-header");
  assert.equal(framingProblemAt(batch, 0, batch.length - 1), "torn-batch");
  const wrongMagic = Buffer.from(batch);
  wrongMagic.writeInt8(1, 16);
  assert.equal(framingProblemAt(wrongMagic, 0, batch.length), "unsupported-magic");
  const tooShort = Buffer.from(batch);
  tooShort.writeInt32BE(10, 8);
  assert.equal(framingProblemAt(tooShort, 0, batch.length), "batch-length-too-small");
});

test("when scanning a file with a buffer smaller than some batches, then every batch comes back whole", (t) => {
  const file = nodeFileSystem.open(join(tempDir(t), "scan.log"), { create: true });
  t.after(() => file.close());
  const batches = [buildBatch({ baseOffset: 0n }), batchOfSize(3, 500, { baseOffset: 1n }), buildBatch({ baseOffset: 4n }), batchOfSize(1, 2000, { baseOffset: 5n })];
  for (const batch of batches) file.append(batch);
  const scanner = new BatchFileScanner(file, 0, file.size(), 256);
  const seen: Buffer[] = [];
  for (let step = scanner.next(); step.kind === "batch"; step = scanner.next()) {
    seen.push(scanner.copyCurrentBatchBytes());
    assert.equal(step.header.sizeInBytes, batches[seen.length - 1]!.length);
  }
  assert.deepEqual(seen, batches);
  assert.equal(scanner.position, file.size());
});

test("when a file ends in the middle of a batch, then the scanner reports where the torn batch starts", (t) => {
  const file = nodeFileSystem.open(join(tempDir(t), "torn.log"), { create: true });
  t.after(() => file.close());
  const first = buildBatch();
  const second = batchOfSize(2, 100, { baseOffset: 1n });
  file.append(first);
  file.append(second.subarray(0, 80));
  const scanner = new BatchFileScanner(file, 0, file.size(), 1024);
  assert.equal(scanner.next().kind, "batch");
  assert.deepEqual(scanner.next(), { kind: "invalid", position: first.length, problem: "torn-batch" });
});
