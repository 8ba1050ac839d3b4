// A live log taking altered settings (AlterConfigs): later appends roll by the new segment size,
// the next retention pass deletes by the new limits, and a value out of range changes nothing.

import assert from "node:assert/strict";
import { test } from "node:test";
import { tempDir } from "./faulty-file-system.ts";
import { appendRecords, commitAll, openLog } from "./log-fixture.ts";

test("when segmentBytes is lowered on a live log, then later appends roll segments by the new size", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 1024 * 1024 });
  for (let i = 0; i < 4; i++) appendRecords(log, 1, 200);
  assert.equal(log.segments.length, 1);
  log.reconfigure({ segmentBytes: 300 });
  for (let i = 0; i < 4; i++) appendRecords(log, 1, 200);
  assert.ok(log.segments.length >= 4, `segments: ${log.segments.length}`);
  assert.equal(log.config.segmentBytes, 300);
});

test("when retentionBytes is lowered on a live log, then the next retention pass deletes the oldest segments", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 600 });
  for (let i = 0; i < 12; i++) appendRecords(log, 1, 200);
  commitAll(log);
  assert.equal(log.applyRetention().deletedSegments, 0);
  log.reconfigure({ retentionBytes: 1500 });
  assert.ok(log.applyRetention().deletedSegments > 0);
  assert.ok(log.logStartOffset > 0n);
});

test("when a reconfiguration is out of range, then it throws and the log keeps its settings", (t) => {
  const log = openLog(t, tempDir(t), { segmentBytes: 4096 });
  assert.throws(() => log.reconfigure({ segmentBytes: -1 }), RangeError);
  assert.equal(log.config.segmentBytes, 4096);
});
