import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { TopicState } from "../../../broker/server/cluster.ts";
import type { BrokerConfig } from "../../../broker/server/config.ts";
import { applyLiveConfigs, topicsWithChangedConfigs } from "../../../broker/server/live-log-configs.ts";
import type { Logger } from "../../../broker/server/logger.ts";
import { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { batchOfSize } from "../storage/batch-builder.ts";
import { leaderAlone } from "./replication/partition-state-fixture.ts";

const configOf = (props: Record<string, string> = {}): BrokerConfig => ({
  host: "127.0.0.1",
  port: 0,
  nodeId: 0,
  dataDir: "/unused",
  props: new Map(Object.entries(props)),
});

const topicOf = (name: string, configs: Record<string, string>): TopicState => ({
  name,
  topicId: Buffer.alloc(16, 1),
  isInternal: false,
  partitions: [],
  configs,
});

function recordingLogger(): Logger & { warnings: [string, Record<string, unknown> | undefined][] } {
  const warnings: [string, Record<string, unknown> | undefined][] = [];
  const noop = () => {};
  return {
    warnings,
    debug: noop,
    info: noop,
    error: noop,
    warn: (message, fields) => warnings.push([message, fields]),
  };
}

describe("live log configs", () => {
  it("when only other parts of the image change, then no topic's configs changed; when a topic's own change, then that topic's; when broker configs change or there was no image, then every topic's", () => {
    const before = MetadataImage.EMPTY.with({
      topicConfigs: new Map([
        ["orders", new Map([["retention.ms", "1"]])],
        ["payments", new Map([["retention.ms", "2"]])],
      ]),
    });
    const changedIn = (image: MetadataImage, previous: MetadataImage | undefined) => {
      const changed = topicsWithChangedConfigs(image, previous);
      return changed === null ? null : ["orders", "payments", "refunds"].filter(changed);
    };
    assert.deepEqual(changedIn(before, undefined), ["orders", "payments", "refunds"]);
    assert.equal(changedIn(before.with({ offset: 5n, epoch: 2 }), before), null);
    const altered = new Map(before.topicConfigs);
    altered.set("orders", new Map([["retention.ms", "3"]]));
    altered.set("refunds", new Map([["segment.bytes", "4096"]]));
    assert.deepEqual(changedIn(before.with({ topicConfigs: altered }), before), ["orders", "refunds"]);
    assert.deepEqual(changedIn(before.with({ brokerConfigs: new Map() }), before), ["orders", "payments", "refunds"]);
  });

  it("when configs are applied, then each hosted partition's log takes its topic's effective settings and its produce checks the effective max.message.bytes", (t) => {
    const { partition } = leaderAlone(t, { topic: "orders", maxMessageBytes: 1_000_000 });
    const { partition: other } = leaderAlone(t, { topic: "payments" });
    const topics = new Map([
      ["orders", topicOf("orders", { "retention.ms": "1234", "max.message.bytes": "200" })],
      ["payments", topicOf("payments", { "cleanup.policy": "compact" })],
    ]);
    const log = recordingLogger();
    applyLiveConfigs(configOf({ "log.retention.bytes": "4096" }), [partition, other], (name) => topics.get(name), log);

    assert.equal(partition.log.config.retentionMs, 1234);
    // Not set on the topic: the broker's value.
    assert.equal(partition.log.config.retentionBytes, 4096);
    assert.equal(other.log.config.cleanupPolicy, "compact");
    assert.equal(other.log.config.retentionBytes, 4096);
    const tooLarge = partition.replication.appendAsLeader(batchOfSize(1, 500), 1);
    assert.equal(tooLarge.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(other.replication.appendAsLeader(batchOfSize(1, 500), 1).errorCode, ErrorCode.NONE);
    assert.deepEqual(log.warnings, []);
  });

  it("when a partition's topic is unknown or its values do not fit the log, then that partition keeps its settings, a warning names it, and the others still change", (t) => {
    const { partition: gone } = leaderAlone(t, { topic: "gone" });
    const { partition: bad } = leaderAlone(t, { topic: "bad", index: 3 });
    const { partition: good } = leaderAlone(t, { topic: "good" });
    const goneBefore = { ...gone.log.config };
    const badBefore = { ...bad.log.config };
    const topics = new Map([
      ["bad", topicOf("bad", { "segment.bytes": "1", "retention.ms": "1234" })],
      ["good", topicOf("good", { "retention.ms": "1234" })],
    ]);
    const log = recordingLogger();
    applyLiveConfigs(configOf(), [gone, bad, good], (name) => topics.get(name), log);

    assert.deepEqual({ ...gone.log.config }, goneBefore);
    assert.deepEqual({ ...bad.log.config }, badBefore);
    assert.equal(good.log.config.retentionMs, 1234);
    assert.deepEqual(
      log.warnings.map(([message, fields]) => [message, fields?.topic, fields?.partition]),
      [["altered topic configs not applied", "bad", 3]],
    );
  });
});
