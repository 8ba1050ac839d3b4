// The log config: Kafka's defaults, overrides merged over them, and values out of range refused.

import assert from "node:assert/strict";
import { test } from "node:test";
import { BATCH_HEADER_SIZE } from "../../../broker/protocol/record-batch/layout.ts";
import { defaultLogConfig, NEVER, resolveLogConfig } from "../../../broker/storage/log-config.ts";

test("when the default config is read, then it matches Kafka's defaults", () => {
  assert.equal(defaultLogConfig.segmentBytes, 1024 ** 3);
  assert.equal(defaultLogConfig.segmentMs, 7 * 24 * 3600 * 1000);
  assert.equal(defaultLogConfig.retentionBytes, -1);
  assert.equal(defaultLogConfig.retentionMs, 7 * 24 * 3600 * 1000);
  assert.equal(defaultLogConfig.indexIntervalBytes, 4096);
  assert.equal(defaultLogConfig.cleanupPolicy, "delete");
});

test("when overrides are given, then they replace only their own fields and the result is frozen", () => {
  const config = resolveLogConfig({ segmentBytes: 4096, cleanupPolicy: "compact" });
  assert.deepEqual(config, { ...defaultLogConfig, segmentBytes: 4096, cleanupPolicy: "compact" });
  assert.ok(Object.isFrozen(config));
  assert.deepEqual(resolveLogConfig(), defaultLogConfig);
  assert.equal(defaultLogConfig.flushIntervalMessages, NEVER, "flushing is left to the OS by default");
});

test("when a config value is out of range, then resolving refuses it", () => {
  assert.throws(() => resolveLogConfig({ retentionMs: -2 }), RangeError);
  for (const bad of [
    { segmentBytes: BATCH_HEADER_SIZE - 1 },
    { segmentBytes: 1024.5 },
    { segmentMs: 0 },
    { retentionBytes: -2 },
    { indexIntervalBytes: -1 },
    { flushIntervalMessages: 0 },
    { flushIntervalMs: -1 },
    { segmentMs: "60000" as never },
    { cleanupPolicy: "compact,delete" as never },
  ]) {
    assert.throws(() => resolveLogConfig(bad), RangeError, JSON.stringify(bad));
  }
});

test("when values sit on the edges of their ranges, then resolving accepts them", () => {
  const edges = {
    segmentBytes: 0x7fffffff,
    segmentMs: 1,
    retentionBytes: -1,
    retentionMs: -1,
    indexIntervalBytes: 0,
    flushIntervalMessages: 1,
    flushIntervalMs: 0,
  };
  assert.deepEqual(resolveLogConfig(edges), { ...defaultLogConfig, ...edges });
  assert.equal(resolveLogConfig({ segmentBytes: BATCH_HEADER_SIZE }).segmentBytes, BATCH_HEADER_SIZE);
});
