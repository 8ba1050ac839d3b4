import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  changedPartitions,
  isInternalTopic,
  MetadataImage,
  NO_LEADER,
  topicIdKey,
} from "../../../../broker/server/metadata/metadata-image.ts";
import { clusterOf, commit, topicIdOf, withTopic } from "../../controller/cluster-fixture.ts";

function sample(): MetadataImage {
  let image = clusterOf([1, 2, 3], { fenced: [3] });
  image = commit(image, [
    {
      type: "BrokerRegistrationChangeRecord",
      version: 1,
      data: { brokerId: 2, brokerEpoch: 102n, fenced: 0, inControlledShutdown: 1, logDirs: [] },
    },
  ]);
  image = withTopic(image, "orders", [
    { replicas: [1, 2], isr: [1, 2], leader: 1 },
    { replicas: [2, 3], isr: [2], leader: 2 },
    { replicas: [3, 1], isr: [3], leader: NO_LEADER },
  ]);
  return withTopic(image, "audit", [{ replicas: [1], isr: [1], leader: 1 }]);
}

const where = (entries: { topic: { name: string }; partition: { partition: number } }[]) =>
  entries.map(({ topic, partition }) => `${topic.name}-${partition.partition}`);

describe("MetadataImage", () => {
  it("when brokers are fenced or shutting down, then liveBrokers leaves out the fenced and activeBrokers both", () => {
    const image = sample();
    assert.deepEqual(
      image.liveBrokers().map((b) => b.id),
      [1, 2],
    );
    assert.deepEqual(
      image.activeBrokers().map((b) => b.id),
      [1],
    );
    assert.equal(image.isActive(1), true);
    assert.equal(image.isActive(2), false);
    assert.equal(image.isActive(9), false);
  });

  it("when asked which partitions a broker leads, holds or is in sync for, then each helper answers in topic order", () => {
    const image = sample();
    assert.deepEqual(where(image.partitionsLedBy(1)), ["audit-0", "orders-0"]);
    assert.deepEqual(where(image.partitionsWithReplicaOn(3)), ["orders-1", "orders-2"]);
    assert.deepEqual(where(image.partitionsWithIsrMember(2)), ["orders-0", "orders-1"]);
    assert.deepEqual(where(image.partitionsWithoutLeader()), ["orders-2"]);
    assert.equal(image.hasLeaderships(2), true);
    assert.equal(image.hasLeaderships(3), false);
    assert.equal(image.partition("orders", 1)!.leader, 2);
    assert.equal(image.partition("orders", 7), undefined);
  });

  it("when a topic id is a key or a topic is internal, then the helpers say so", () => {
    assert.equal(topicIdKey(Buffer.alloc(16, 0xab)), "ab".repeat(16));
    assert.equal(sample().topicById(topicIdOf("orders"))!.name, "orders");
    assert.equal(isInternalTopic("__consumer_offsets"), true);
    assert.equal(isInternalTopic("orders"), false);
  });

  it("when two images differ in some partitions, then changedPartitions lists exactly the added, changed and removed ones", () => {
    const before = sample();
    const after = commit(before, [
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: { partitionId: 0, topicId: topicIdOf("orders"), isr: [1], leader: -2 },
      },
      { type: "RemoveTopicRecord", version: 0, data: { topicId: topicIdOf("audit") } },
    ]);
    const grown = withTopic(after, "fresh", [[1]]);
    const changes = changedPartitions(before, grown).map((c) => [c.topicName, c.partition, !!c.before, !!c.after]);
    assert.deepEqual(
      changes.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ["audit", 0, true, false],
        ["fresh", 0, false, true],
        ["orders", 0, true, true],
      ],
    );
    assert.deepEqual(changedPartitions(grown, grown), []);
  });

  it("when with() replaces fields, then the rest is shared and the original is unchanged", () => {
    const image = sample();
    const moved = image.with({ offset: 99n });
    assert.equal(moved.offset, 99n);
    assert.equal(moved.topicsByName, image.topicsByName);
    assert.notEqual(image.offset, 99n);
    assert.equal(MetadataImage.EMPTY.offset, -1n);
  });
});
