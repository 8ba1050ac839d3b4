// The active segment finds the batches near its tail from memory (recent-batches.ts). What it
// returns must be what the index-and-scan path returns, for every read: the same operations are
// applied to a segment that remembers a few batches and to one that remembers none, and every read
// is compared byte for byte.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { RecentBatches } from "../../../broker/storage/recent-batches.ts";
import { readStoredBatchHeader } from "../../../broker/storage/record-batch.ts";
import { Segment } from "../../../broker/storage/segment.ts";
import { batchOfSize } from "./batch-builder.ts";
import { manualClock, tempDir } from "./faulty-file-system.ts";
import { BASE } from "./segment-fixture.ts";

test("when batches are pushed past the capacity, then only the newest are planned from and older offsets are left to the index", () => {
  const recent = new RecentBatches(3);
  // Batches of 2 offsets each, 100 bytes each, back to back.
  for (let i = 0; i < 5; i++) recent.push(i * 2, i * 2 + 1, i * 100, 100);
  assert.equal(recent.plan(3, 1_000, true), null, "offset 3 was in the second batch, forgotten");
  assert.deepEqual(recent.plan(4, 1_000, true), { position: 200, length: 300, stoppedBy: "segment-end" });
  assert.deepEqual(recent.plan(7, 150, true), { position: 300, length: 100, stoppedBy: "max-bytes" });
  assert.deepEqual(recent.plan(7, 50, false), { position: 300, length: 0, stoppedBy: "max-bytes" });
  assert.deepEqual(recent.plan(7, 50, true), { position: 300, length: 100, stoppedBy: "max-bytes" });
  assert.deepEqual(recent.plan(4, 1_000, true, 8), { position: 200, length: 200, stoppedBy: "upper-bound" });
  assert.deepEqual(recent.plan(10, 1_000, true), { position: 0, length: 0, stoppedBy: "segment-end" });
  recent.clear();
  assert.equal(recent.plan(9, 1_000, true), null);
});

type Op =
  | { kind: "append"; batches: { records: number; gap: number }[] }
  | { kind: "truncate"; back: number }
  | { kind: "read"; from: number; maxBytes: number; minOneBatch: boolean; upperBound: number | null };

const appendOp = fc.record({
  kind: fc.constant("append" as const),
  batches: fc.array(fc.record({ records: fc.integer({ min: 1, max: 4 }), gap: fc.constantFrom(0, 0, 0, 2) }), {
    minLength: 1,
    maxLength: 3,
  }),
});
const truncateOp = fc.record({ kind: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 12 }) });
const readOp = fc.record({
  kind: fc.constant("read" as const),
  from: fc.integer({ min: -2, max: 80 }),
  maxBytes: fc.integer({ min: 0, max: 1_500 }),
  minOneBatch: fc.boolean(),
  upperBound: fc.option(fc.integer({ min: -2, max: 90 }), { nil: null }),
});

test("when appends, truncations and reads interleave, then the segment that remembers recent batches reads exactly what the index and a scan find", async (t) => {
  const dir = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 3, arbitrary: appendOp }, truncateOp, { weight: 4, arbitrary: readOp }), {
        minLength: 1,
        maxLength: 60,
      }),
      (ops: Op[]) => {
        run++;
        for (const kind of ["r", "s"]) mkdirSync(`${dir}/${kind}${run}`);
        // A tiny index interval makes the scan path short too; capacity 4 makes the ring wrap and fall back.
        const remembering = Segment.create(nodeFileSystem, `${dir}/r${run}`, BASE, {
          indexIntervalBytes: 300,
          clock: manualClock().clock,
          recentBatches: 4,
        });
        const scanning = Segment.create(nodeFileSystem, `${dir}/s${run}`, BASE, {
          indexIntervalBytes: 300,
          clock: manualClock().clock,
          recentBatches: 0,
        });
        try {
          for (const op of ops) {
            if (op.kind === "append") {
              let next = remembering.nextOffset;
              const parts: Buffer[] = [];
              for (const { records, gap } of op.batches) {
                next += BigInt(gap);
                parts.push(batchOfSize(records, 30, { baseOffset: next, baseTimestamp: 10_000n + next }));
                next += BigInt(records);
              }
              const bytes = Buffer.concat(parts);
              const first = readStoredBatchHeader(parts[0]!);
              const last = readStoredBatchHeader(parts.at(-1)!);
              for (const segment of [remembering, scanning])
                segment.append(bytes, first.baseOffset, last.lastOffset, last.maxTimestamp);
            } else if (op.kind === "truncate") {
              const to = remembering.nextOffset - BigInt(op.back);
              if (to < BASE) continue;
              for (const segment of [remembering, scanning]) segment.truncateTo(to);
            } else {
              const from = BASE + BigInt(op.from);
              const upper = op.upperBound === null ? undefined : BASE + BigInt(op.upperBound);
              if (from < BASE) continue;
              const a = remembering.read(from, op.maxBytes, op.minOneBatch, upper);
              const b = scanning.read(from, op.maxBytes, op.minOneBatch, upper);
              assert.equal(a.stoppedBy, b.stoppedBy, `stoppedBy of a read from ${from}`);
              assert.ok(a.data.equals(b.data), `bytes of a read from ${from}`);
            }
          }
        } finally {
          remembering.close();
          scanning.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});
