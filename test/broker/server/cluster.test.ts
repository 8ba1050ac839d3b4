import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ClusterMetadata } from "../../../broker/server/cluster.ts";

const self = { nodeId: 0, host: "127.0.0.1", port: 9092, rack: null };

describe("ClusterMetadata", () => {
  const dir = mkdtempSync(join(tmpdir(), "cluster-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when reopened, then topics, partitions, configs and the cluster id are as they were", () => {
    const first = ClusterMetadata.open(join(dir, "a"), self);
    first.addTopic("orders", 3, { "retention.ms": "1000" });
    first.growTopic("orders", 5);
    const again = ClusterMetadata.open(join(dir, "a"), self);
    assert.equal(again.clusterId, first.clusterId);
    const topic = again.topic("orders")!;
    assert.equal(topic.partitions.length, 5);
    assert.deepEqual(topic.configs, { "retention.ms": "1000" });
    assert.deepEqual(topic.topicId, first.topic("orders")!.topicId);
    assert.deepEqual(topic.partitions[4], { partition: 4, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0] });
  });

  it("when reopened after handing out producer ids, then no id is handed out twice", () => {
    const first = ClusterMetadata.open(join(dir, "b"), self);
    const before = [first.allocateProducerId(), first.allocateProducerId()];
    const again = ClusterMetadata.open(join(dir, "b"), self);
    const afterRestart = again.allocateProducerId();
    assert.ok(
      before.every((id) => id < afterRestart),
      `${afterRestart} must be above ${before.join(", ")}`,
    );
  });

  it("when a topic is removed, then it stays removed after reopening", () => {
    const first = ClusterMetadata.open(join(dir, "c"), self);
    first.addTopic("gone", 1, {});
    first.removeTopic("gone");
    assert.equal(ClusterMetadata.open(join(dir, "c"), self).topic("gone"), undefined);
  });
});
