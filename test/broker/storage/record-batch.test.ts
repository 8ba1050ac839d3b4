import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { BatchFileScanner, readStoredBatchHeader } from "../../../broker/storage/record-batch.ts";
import { batchOfSize, buildBatch } from "./batch-builder.ts";
import { tempDir } from "./faulty-file-system.ts";

test("when a stored batch header is read, then it carries the batch's last offset and whole size", () => {
  const batch = buildBatch({
    baseOffset: 40n,
    records: [
      { key: "a", value: "1" },
      { key: "b", value: "2", offsetDelta: 3 },
    ],
  });
  const header = readStoredBatchHeader(batch);
  assert.deepEqual(
    [header.baseOffset, header.lastOffset, header.sizeInBytes, header.recordCount],
    [40n, 43n, batch.length, 2],
  );
  assert.deepEqual(readStoredBatchHeader(Buffer.concat([Buffer.alloc(3), batch]), 3), header);
});

test("when scanning a file with a buffer smaller than some batches, then every batch comes back whole", (t) => {
  const file = nodeFileSystem.open(join(tempDir(t), "scan.log"), { create: true });
  t.after(() => file.close());
  const batches = [
    buildBatch({ baseOffset: 0n }),
    batchOfSize(3, 500, { baseOffset: 1n }),
    buildBatch({ baseOffset: 4n }),
    batchOfSize(1, 2000, { baseOffset: 5n }),
  ];
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
