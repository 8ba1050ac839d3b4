import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import type { TopicState } from "../../../broker/server/cluster.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { openTopicLog, topicConfigOf, validateTopicConfigs, validateTopicName } from "../../../broker/server/topics.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { useScratchDirs } from "../../helpers/scratch-dirs.ts";
import { brokerConfigIn } from "./broker-state-fixture.ts";

const topic = (name: string, configs: Record<string, string> = {}): TopicState => ({
  name,
  topicId: Buffer.alloc(16, 7),
  isInternal: false,
  partitions: [{ partition: 0, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0] }],
  configs,
});

describe("topic names", () => {
  it("when a name is empty, a dot path, longer than 249 characters or has other characters than [a-zA-Z0-9._-], then INVALID_TOPIC_EXCEPTION", () => {
    for (const name of ["", ".", "..", "x".repeat(250), "with space", "slash/ed", "ümlaut"]) {
      assert.equal(validateTopicName(name)?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, JSON.stringify(name));
    }
  });

  it("when a name is legal, then no error", () => {
    for (const name of ["points.commands", "a", "A_b-9", "x".repeat(249), "..."])
      assert.equal(validateTopicName(name), null);
  });
});

describe("topic configs", () => {
  it("when a config is unknown or its value is not of its kind, then INVALID_CONFIG names it", () => {
    const refused = (configs: Record<string, string | null>) => validateTopicConfigs(configs);
    assert.match(refused({ "retention.msec": "1" })!.errorMessage, /unknown topic config retention\.msec/);
    assert.equal(refused({ "retention.ms": "soon" })!.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(refused({ "cleanup.policy": "shred" })!.errorMessage, /delete or compact/);
    assert.match(refused({ "unclean.leader.election.enable": "1" })!.errorMessage, /true or false/);
    assert.equal(refused({ "retention.ms": null })!.errorCode, ErrorCode.INVALID_CONFIG);
  });

  it("when the configs are known and well formed, then no error", () => {
    assert.equal(
      validateTopicConfigs({
        "retention.ms": "-1",
        "cleanup.policy": "compact",
        "min.insync.replicas": "2",
        "unclean.leader.election.enable": "true",
      }),
      null,
    );
  });

  it("when a topic overrides a config, then that is its value; otherwise the broker default it maps to", () => {
    const config = brokerConfigIn("/nowhere", { "log.segment.bytes": "200000", "min.insync.replicas": "2" });
    const tuned = topic("tuned", { "retention.ms": "60000" });
    assert.equal(topicConfigOf(config, tuned, "retention.ms"), "60000");
    assert.equal(topicConfigOf(config, tuned, "segment.bytes"), "200000");
    assert.equal(topicConfigOf(config, tuned, "min.insync.replicas"), "2");
    assert.equal(topicConfigOf(config, tuned, "max.message.bytes"), String(1024 * 1024 + 12));
  });
});

describe("openTopicLog", () => {
  const scratch = useScratchDirs("topic-log-");

  it("when a partition's log is opened, then it lives in <dataDir>/<topic>-<index> with the topic's settings, and Long.MAX_VALUE means never", () => {
    const dataDir = scratch();
    const config = brokerConfigIn(dataDir, { "log.segment.bytes": "200000", "log.flush.interval.ms": "1000" });
    const tuned = topic("tuned", {
      "retention.ms": "60000",
      "cleanup.policy": "compact",
      "flush.messages": "9223372036854775807",
    });
    const log = openTopicLog(config, nodeFileSystem, silentLogger, tuned, 3);
    try {
      assert.ok(existsSync(join(dataDir, "tuned-3")));
      assert.equal(log.config.retentionMs, 60_000);
      assert.equal(log.config.cleanupPolicy, "compact");
      assert.equal(log.config.segmentBytes, 200_000);
      assert.equal(log.config.flushIntervalMs, 1000);
      assert.equal(log.config.flushIntervalMessages, Number.MAX_SAFE_INTEGER);
    } finally {
      log.close();
    }
  });

  it("when a partition's log is opened, then appends leave the high watermark to the partition's replication", () => {
    const dataDir = scratch();
    const log = openTopicLog(brokerConfigIn(dataDir), nodeFileSystem, silentLogger, topic("copied"), 0);
    try {
      log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from("x"), timestamp: 1n }] }));
      assert.equal(log.logEndOffset, 1n);
      assert.equal(log.highWatermark, 0n);
    } finally {
      log.close();
    }
  });
});
