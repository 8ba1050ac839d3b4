import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { ClusterMetadata } from "../../../broker/server/cluster.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { TopicManager, validateTopicName } from "../../../broker/server/topics.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { brokerConfigIn } from "./broker-state-fixture.ts";

const self = { nodeId: 0, host: "127.0.0.1", port: 9092, rack: null };

interface Topics {
  manager: TopicManager;
  cluster: ClusterMetadata;
  dataDir: string;
  /** A second manager over the same directory, as after a restart (the first is closed). */
  reopen(): TopicManager;
}

function topicsIn(t: TestContext, props: Record<string, string> = {}): Topics {
  const dataDir = mkdtempSync(join(tmpdir(), "topics-test-"));
  const config = brokerConfigIn(dataDir, props);
  const open = () => {
    const cluster = ClusterMetadata.open(dataDir, self);
    const manager = new TopicManager(config, cluster, nodeFileSystem, silentLogger);
    manager.openAll();
    return { cluster, manager };
  };
  let current = open();
  t.after(() => {
    current.manager.closeAll();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    get manager() {
      return current.manager;
    },
    get cluster() {
      return current.cluster;
    },
    dataDir,
    reopen() {
      current.manager.closeAll();
      current = open();
      return current.manager;
    },
  };
}

const oneRecord = () => encodeRecordBatch({ records: [{ key: null, value: Buffer.from("x"), timestamp: 1n }] });

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

describe("TopicManager", () => {
  it("when a topic is created, then each partition has its own log directory and takes records", (t) => {
    const { manager, dataDir } = topicsIn(t);
    manager.create("sales", 3, {});
    assert.deepEqual(
      manager.partitionsOf("sales").map((p) => [p.topic, p.index]),
      [
        ["sales", 0],
        ["sales", 1],
        ["sales", 2],
      ],
    );
    for (const index of [0, 1, 2]) assert.ok(existsSync(join(dataDir, `sales-${index}`)));
    assert.equal(manager.partition("sales", 1)?.append(oneRecord()).errorCode, ErrorCode.NONE);
    assert.equal(manager.partition("sales", 1)?.highWatermark, 1n);
    assert.equal(manager.partition("sales", 3), undefined);
  });

  it("when a creation is checked, then an existing name, fewer than one partition or a bad config is refused, and nothing is created", (t) => {
    const { manager, cluster } = topicsIn(t);
    manager.create("taken", 1, {});
    assert.equal(manager.checkCreate("taken", 1, {})?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(manager.checkCreate("fresh", 0, {})?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(manager.checkCreate("fresh", 1.5, {})?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(manager.checkCreate("bad name", 1, {})?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(manager.checkCreate("fresh", 1, { "no.such.config": "1" })?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(manager.checkCreate("fresh", 1, { "cleanup.policy": "shred" })?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(manager.checkCreate("fresh", 1, { "retention.ms": "soon" })?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(manager.checkCreate("fresh", 1, { "retention.ms": null })?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(manager.checkCreate("fresh", 2, { "cleanup.policy": "compact", "retention.ms": "-1" }), null);
    assert.deepEqual(cluster.topicNames(), ["taken"]);
  });

  it("when a topic has config overrides, then its logs use them, the broker's values elsewhere, and Long.MAX_VALUE means never", (t) => {
    const { manager, cluster } = topicsIn(t, { "log.segment.bytes": "200000", "log.flush.interval.ms": "1000" });
    manager.create("tuned", 1, {
      "retention.ms": "60000",
      "cleanup.policy": "compact",
      "flush.messages": "9223372036854775807",
    });
    const config = manager.partition("tuned", 0)!.log.config;
    assert.equal(config.retentionMs, 60_000);
    assert.equal(config.cleanupPolicy, "compact");
    assert.equal(config.segmentBytes, 200_000);
    assert.equal(config.flushIntervalMs, 1000);
    assert.equal(config.flushIntervalMessages, Number.MAX_SAFE_INTEGER);
    const topic = cluster.topic("tuned")!;
    assert.equal(manager.topicConfig(topic, "retention.ms"), "60000");
    assert.equal(manager.topicConfig(topic, "segment.bytes"), "200000");
    assert.equal(manager.topicConfig(topic, "max.message.bytes"), String(1024 * 1024 + 12));
  });

  it("when a topic is auto-created, then it gets num.partitions; an existing one is returned as it is", (t) => {
    const { manager } = topicsIn(t, { "num.partitions": "4" });
    const created = manager.autoCreate("auto");
    assert.ok(!("errorCode" in created));
    assert.equal(created.partitions.length, 4);
    manager.create("explicit", 1, {});
    const existing = manager.autoCreate("explicit");
    assert.ok(!("errorCode" in existing));
    assert.equal(existing.partitions.length, 1);
    assert.deepEqual(manager.autoCreate("not legal!"), validateTopicName("not legal!"));
  });

  it("when auto-creation is off, then an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and not created", (t) => {
    const { manager, cluster } = topicsIn(t, { "auto.create.topics.enable": "false" });
    const result = manager.autoCreate("wanted");
    assert.ok("errorCode" in result);
    assert.equal(result.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(cluster.topic("wanted"), undefined);
  });

  it("when a topic grows, then the new partitions are opened beside the old ones, whose records stay", (t) => {
    const { manager } = topicsIn(t);
    manager.create("growing", 2, {});
    manager.partition("growing", 0)!.append(oneRecord());
    const before = manager.partition("growing", 0);
    assert.equal(manager.partitionsToAdd("growing", 5), 3);
    assert.equal(manager.partitionsToAdd("growing", 1), 0);
    assert.equal(manager.partitionsToAdd("unknown", 5), 0);
    manager.grow("growing", 5);
    assert.equal(manager.partitionsOf("growing").length, 5);
    assert.equal(manager.partition("growing", 0), before);
    assert.equal(manager.partition("growing", 0)?.highWatermark, 1n);
    assert.equal(manager.partition("growing", 4)?.highWatermark, 0n);
  });

  it("when growth is checked, then shrinking, staying the same size or an unknown topic is refused", (t) => {
    const { manager } = topicsIn(t);
    manager.create("fixed", 3, {});
    assert.match(manager.checkGrow("fixed", 2)?.errorMessage ?? "", /partitions can only be added/);
    assert.equal(manager.checkGrow("fixed", 2)?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(manager.checkGrow("fixed", 3)?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(manager.checkGrow("unknown", 3)?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(manager.checkGrow("fixed", 4), null);
  });

  it("when a topic is deleted, then its files, partitions and metadata are gone", (t) => {
    const { manager, cluster, dataDir } = topicsIn(t);
    manager.create("doomed", 2, {});
    manager.create("kept", 1, {});
    manager.delete("doomed");
    assert.equal(existsSync(join(dataDir, "doomed-0")), false);
    assert.equal(existsSync(join(dataDir, "doomed-1")), false);
    assert.deepEqual(manager.partitionsOf("doomed"), []);
    assert.equal(cluster.topic("doomed"), undefined);
    assert.deepEqual(
      manager.allPartitions().map((p) => p.topic),
      ["kept"],
    );
  });

  it("when reopened after a restart, then every topic's partitions come back with their records", (t) => {
    const topics = topicsIn(t);
    topics.manager.create("durable", 2, {});
    topics.manager.grow("durable", 3);
    topics.manager.partition("durable", 2)!.append(oneRecord());
    const reopened = topics.reopen();
    assert.equal(reopened.partitionsOf("durable").length, 3);
    assert.equal(reopened.partition("durable", 2)?.highWatermark, 1n);
  });
});
