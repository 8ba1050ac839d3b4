// The cluster as a KRaft broker's handlers read it, from metadata images built from records: the
// serving brokers, the controller id clients are told, and each topic's partitions and configs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetadataRecord } from "../../../../broker/protocol/metadata-records/serde.ts";
import { ImageClusterView } from "../../../../broker/server/metadata/image-cluster-view.ts";
import { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import { clusterOf, commit, topicIdOf, withTopic } from "../../controller/cluster-fixture.ts";

/** A view over an image the test replaces, with the active controller the test names. */
function viewOf(image: MetadataImage, activeController: number | null = null) {
  const source = { image };
  const active = { id: activeController };
  const view = new ImageClusterView(source, "cluster-a", () => active.id);
  return { source, active, view };
}

const configRecord = (topic: string, name: string, value: string): MetadataRecord => ({
  type: "ConfigRecord",
  version: 0,
  data: { resourceType: 2, resourceName: topic, name, value },
});

const controlledShutdownOf = (brokerId: number, brokerEpoch: bigint): MetadataRecord => ({
  type: "BrokerRegistrationChangeRecord",
  version: 1,
  data: { brokerId, brokerEpoch, fenced: 0, inControlledShutdown: 1, logDirs: [] },
});

describe("ImageClusterView", () => {
  it("when brokers are registered, then only the serving ones are listed, by id, with their addresses and every listener's", () => {
    const image = commit(clusterOf([2, 0, 1, 3], { fenced: [1] }), [controlledShutdownOf(3, 103n)]);
    const { view } = viewOf(image);

    assert.deepEqual(view.brokers, [
      {
        nodeId: 0,
        host: "127.0.0.1",
        port: 9092,
        rack: null,
        endpoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 }],
      },
      {
        nodeId: 2,
        host: "127.0.0.1",
        port: 9094,
        rack: null,
        endpoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9094 }],
      },
    ]);
    assert.equal(view.clusterId, "cluster-a");
  });

  it("when the image changes, then the brokers are read from the new one", () => {
    const { source, view } = viewOf(clusterOf([0]));
    assert.equal(view.brokers, view.brokers, "the same list while the image stays");

    source.image = clusterOf([0, 1]);

    assert.deepEqual(
      view.brokers.map((b) => b.nodeId),
      [0, 1],
    );
  });

  it("when the active controller is a serving broker, then it is the controller clients are told", () => {
    const { view } = viewOf(clusterOf([0, 1, 2]), 1);
    assert.equal(view.controllerId, 1);
  });

  it("when the active controller is unknown or not serving, then clients are told the first serving broker, or -1 without one", () => {
    const { view, active, source } = viewOf(clusterOf([0, 1, 2], { fenced: [0] }), null);
    assert.equal(view.controllerId, 1);
    active.id = 0;
    assert.equal(view.controllerId, 1, "a fenced broker serves no one");
    source.image = MetadataImage.EMPTY;
    assert.equal(view.controllerId, -1);
  });

  it("when a topic is in the image, then its state has every partition's leader, epoch, replicas and ISR, and its configs", () => {
    const image = withTopic(
      clusterOf([0, 1, 2]),
      "orders",
      [{ replicas: [0, 1, 2], isr: [0, 2], leader: 2 }, [1, 2, 0]],
      { "cleanup.policy": "compact" },
    );
    const { view } = viewOf(image);

    assert.deepEqual(view.topic("orders"), {
      name: "orders",
      topicId: topicIdOf("orders"),
      isInternal: false,
      partitions: [
        { partition: 0, leader: 2, leaderEpoch: 0, replicas: [0, 1, 2], isr: [0, 2] },
        { partition: 1, leader: 1, leaderEpoch: 0, replicas: [1, 2, 0], isr: [1, 2, 0] },
      ],
      configs: { "cleanup.policy": "compact" },
    });
    assert.equal(view.topic("missing"), undefined);
  });

  it("when the topic is __consumer_offsets, then it is internal", () => {
    const { view } = viewOf(withTopic(clusterOf([0]), "__consumer_offsets", [[0]]));
    assert.equal(view.topic("__consumer_offsets")!.isInternal, true);
  });

  it("when all topics are asked for, then each is there once, as topic() gives it", () => {
    const image = withTopic(withTopic(clusterOf([0]), "a", [[0]]), "b", [[0], [0]]);
    const { view } = viewOf(image);

    assert.deepEqual(view.topicNames().sort(), ["a", "b"]);
    const all = view.allTopics();
    assert.deepEqual(all.map((t) => t.name).sort(), ["a", "b"]);
    for (const topic of all) assert.equal(topic, view.topic(topic.name), "the same object, not rebuilt");
  });

  it("when a later image changes only a topic's config, then the topic's state shows the new config", () => {
    const { source, view } = viewOf(withTopic(clusterOf([0]), "orders", [[0]], { "retention.ms": "1000" }));
    const before = view.topic("orders")!;
    assert.equal(view.topic("orders"), before, "unchanged: the same state");

    const previous = source.image;
    source.image = commit(source.image, [configRecord("orders", "retention.ms", "2000")]);
    assert.equal(source.image.topic("orders"), previous.topic("orders"), "the image keeps the topic's own object");

    assert.deepEqual(view.topic("orders")!.configs, { "retention.ms": "2000" });
  });

  it("when a partition changes, then the topic's state shows the new leader and ISR", () => {
    const { source, view } = viewOf(withTopic(clusterOf([0, 1]), "orders", [[0, 1]]));
    assert.equal(view.topic("orders")!.partitions[0]!.leader, 0);

    source.image = commit(source.image, [
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: {
          partitionId: 0,
          topicId: topicIdOf("orders"),
          isr: [1],
          leader: 1,
        },
      },
    ]);

    assert.deepEqual(view.topic("orders")!.partitions[0], {
      partition: 0,
      leader: 1,
      leaderEpoch: 1,
      replicas: [0, 1],
      isr: [1],
    });
  });
});
