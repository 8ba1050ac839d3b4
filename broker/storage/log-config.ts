// The settings of one partition log (Kafka's LogConfig): segment rolling, retention, index
// density, flushing and the cleanup policy, with Kafka's defaults, and their validation.
//
// Ownership: none mutable. A resolved config is frozen; each partition log holds its own, in its
// LocalLog.

import { BATCH_HEADER_SIZE } from "../protocol/record-batch/layout.ts";

export type CleanupPolicy = "delete" | "compact";

export interface LogConfig {
  /** A segment is rolled before an append would take it past this size (at most 2 GiB − 1). */
  segmentBytes: number;
  /** A segment is rolled once this old (measured from its first batch). */
  segmentMs: number;
  /** Oldest segments are deleted while the log is larger than this; −1 keeps everything. */
  retentionBytes: number;
  /** Segments whose newest batch is older than this are deleted; −1 keeps everything. */
  retentionMs: number;
  indexIntervalBytes: number;
  /** Fsync after this many records; 1 means every append; NEVER leaves flushing to the OS. */
  flushIntervalMessages: number;
  /** Fsync when this long has passed since the last one (checked on append and by flushIfDue). */
  flushIntervalMs: number;
  cleanupPolicy: CleanupPolicy;
}

/** Any interval this large never elapses (Kafka spells it Long.MAX_VALUE). */
export const NEVER = Number.MAX_SAFE_INTEGER;

const DAY_MS = 24 * 60 * 60 * 1000;

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  retentionBytes: -1,
  retentionMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  flushIntervalMessages: NEVER,
  flushIntervalMs: NEVER,
  cleanupPolicy: "delete",
});

// Segment positions are 32-bit in the offset index.
const MAX_SEGMENT_BYTES = 0x7fffffff;

/** The defaults overridden by `overrides`, checked and frozen; a value out of range throws a RangeError. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): Readonly<LogConfig> {
  const config = Object.freeze({ ...defaultLogConfig, ...overrides });
  const integerAtLeast = (name: keyof LogConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = config[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`log config ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integerAtLeast("segmentBytes", BATCH_HEADER_SIZE, MAX_SEGMENT_BYTES);
  integerAtLeast("segmentMs", 1);
  integerAtLeast("retentionBytes", -1);
  integerAtLeast("retentionMs", -1);
  integerAtLeast("indexIntervalBytes", 0);
  integerAtLeast("flushIntervalMessages", 1, Number.MAX_VALUE);
  integerAtLeast("flushIntervalMs", 0, Number.MAX_VALUE);
  if (config.cleanupPolicy !== "delete" && config.cleanupPolicy !== "compact") {
    throw new RangeError(`log config cleanupPolicy must be "delete" or "compact", got ${String(config.cleanupPolicy)}`);
  }
  return config;
}
