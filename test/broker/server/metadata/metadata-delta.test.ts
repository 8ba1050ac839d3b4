import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from "../../../../broker/protocol/metadata-records/serde.ts";
import {
  applyBatch,
  applyUncommitted,
  MetadataDelta,
  MetadataReplayError,
  mergePartitionChange,
} from "../../../../broker/server/metadata/metadata-delta.ts";
import { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import { commit, incarnationOf, registerBrokerRecord, topicIdOf, withTopic } from "../../controller/cluster-fixture.ts";

/** Replays records as a loader does: each through the metadata log's encoding first. */
function replayed(image: MetadataImage, records: MetadataRecord[]): MetadataImage {
  return commit(
    image,
    records.map((record) => decodeMetadataRecord(encodeMetadataRecord(record))),
  );
}

const ordersId = topicIdOf("orders");

describe("MetadataDelta", () => {
  it("when a RegisterBrokerRecord is replayed, then the broker is registered at its offset with its endpoint, fenced by default", () => {
    const image = replayed(MetadataImage.EMPTY, [registerBrokerRecord(1, 7n, { fenced: true, rack: "r1" })]);
    const broker = image.broker(1)!;
    assert.equal(broker.epoch, 7n);
    assert.deepEqual(broker.incarnationId, incarnationOf(1));
    assert.equal(broker.host, "127.0.0.1");
    assert.equal(broker.port, 9093);
    assert.equal(broker.rack, "r1");
    assert.equal(broker.fenced, true);
    assert.equal(broker.inControlledShutdown, false);
    assert.equal(broker.registrationOffset, 0n);
    assert.equal(image.offset, 0n);
    assert.equal(image.highestBrokerEpoch, 7n);
    assert.deepEqual(image.liveBrokers(), []);
  });

  it("when Unfence, Fence and BrokerRegistrationChange records are replayed, then fencing and controlled shutdown follow them", () => {
    let image = replayed(MetadataImage.EMPTY, [registerBrokerRecord(1, 7n, { fenced: true })]);
    image = replayed(image, [{ type: "UnfenceBrokerRecord", version: 0, data: { id: 1, epoch: 7n } }]);
    assert.equal(image.broker(1)!.fenced, false);
    assert.deepEqual(
      image.liveBrokers().map((b) => b.id),
      [1],
    );
    image = replayed(image, [{ type: "FenceBrokerRecord", version: 0, data: { id: 1, epoch: 7n } }]);
    assert.equal(image.broker(1)!.fenced, true);
    const change = (fenced: number, inControlledShutdown: number): MetadataRecord => ({
      type: "BrokerRegistrationChangeRecord",
      version: 1,
      data: { brokerId: 1, brokerEpoch: 7n, fenced, inControlledShutdown, logDirs: [] },
    });
    image = replayed(image, [change(-1, 0)]);
    assert.equal(image.broker(1)!.fenced, false);
    image = replayed(image, [change(0, 1)]);
    assert.equal(image.broker(1)!.inControlledShutdown, true);
    assert.equal(image.isActive(1), false);
    assert.deepEqual(image.activeBrokers(), []);
    image = replayed(image, [change(1, 0)]);
    assert.equal(image.broker(1)!.fenced, true);
  });

  it("when a broker record names another epoch or an unregistered broker, then replay fails", () => {
    const image = replayed(MetadataImage.EMPTY, [registerBrokerRecord(1, 7n)]);
    const delta = new MetadataDelta(image);
    assert.throws(
      () => delta.replay({ type: "FenceBrokerRecord", version: 0, data: { id: 1, epoch: 6n } }),
      MetadataReplayError,
    );
    assert.throws(
      () => delta.replay({ type: "UnfenceBrokerRecord", version: 0, data: { id: 2, epoch: 7n } }),
      MetadataReplayError,
    );
  });

  it("when an UnregisterBrokerRecord is replayed, then the broker is gone but the highest epoch is remembered", () => {
    let image = replayed(MetadataImage.EMPTY, [registerBrokerRecord(1, 7n), registerBrokerRecord(2, 9n)]);
    image = replayed(image, [{ type: "UnregisterBrokerRecord", version: 0, data: { brokerId: 2, brokerEpoch: 9n } }]);
    assert.equal(image.broker(2), undefined);
    assert.equal(image.highestBrokerEpoch, 9n);
  });

  it("when Topic, Config and Partition records are replayed, then the topic is found by name and id with its partitions and configs", () => {
    const image = replayed(MetadataImage.EMPTY, [
      { type: "TopicRecord", version: 0, data: { name: "orders", topicId: ordersId } },
      {
        type: "ConfigRecord",
        version: 0,
        data: { resourceType: 2, resourceName: "orders", name: "retention.ms", value: "1000" },
      },
      {
        type: "PartitionRecord",
        version: 0,
        data: {
          partitionId: 0,
          topicId: ordersId,
          replicas: [1, 2, 3],
          isr: [1, 2],
          removingReplicas: [],
          addingReplicas: [],
          leader: 1,
          leaderEpoch: 4,
          partitionEpoch: 6,
        },
      },
    ]);
    const topic = image.topic("orders")!;
    assert.equal(image.topicById(ordersId), topic);
    assert.deepEqual(topic.partitions[0], {
      partition: 0,
      replicas: [1, 2, 3],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 4,
      partitionEpoch: 6,
    });
    assert.equal(image.topicConfig("orders", "retention.ms"), "1000");
    assert.equal(image.offset, 2n);
  });

  it("when a PartitionChangeRecord names a leader, then both epochs rise; when it changes only the ISR, then only the partition epoch does", () => {
    let image = withTopic(MetadataImage.EMPTY, "orders", [[1, 2, 3]]);
    image = replayed(image, [
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: { partitionId: 0, topicId: ordersId, isr: [2, 3], leader: 2 },
      },
    ]);
    assert.deepEqual(image.partition("orders", 0), {
      partition: 0,
      replicas: [1, 2, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
    image = replayed(image, [
      { type: "PartitionChangeRecord", version: 0, data: { partitionId: 0, topicId: ordersId, isr: [2], leader: -2 } },
    ]);
    assert.deepEqual(image.partition("orders", 0), {
      partition: 0,
      replicas: [1, 2, 3],
      isr: [2],
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 2,
    });
  });

  it("when a RemoveTopicRecord is replayed, then the topic and its configs are gone", () => {
    let image = withTopic(MetadataImage.EMPTY, "orders", [[1]], { "retention.ms": "5" });
    image = replayed(image, [{ type: "RemoveTopicRecord", version: 0, data: { topicId: ordersId } }]);
    assert.equal(image.topic("orders"), undefined);
    assert.equal(image.topicById(ordersId), undefined);
    assert.equal(image.topicConfigs.has("orders"), false);
  });

  it("when a broker ConfigRecord is replayed, then the broker configs hold it", () => {
    const image = replayed(MetadataImage.EMPTY, [
      {
        type: "ConfigRecord",
        version: 0,
        data: { resourceType: 4, resourceName: "", name: "unclean.leader.election.enable", value: "true" },
      },
    ]);
    assert.equal(image.brokerConfigs.get("")?.get("unclean.leader.election.enable"), "true");
  });

  it("when ProducerIds, FeatureLevel and NoOp records are replayed, then the next producer id and features follow, and NoOp moves only the offset", () => {
    let image = replayed(MetadataImage.EMPTY, [
      { type: "ProducerIdsRecord", version: 0, data: { brokerId: 1, brokerEpoch: 7n, producerIdsEnd: 1000n } },
      {
        type: "FeatureLevelRecord",
        version: 0,
        data: { name: "metadata.version", minFeatureLevel: 1, maxFeatureLevel: 7 },
      },
    ]);
    assert.equal(image.nextProducerId, 1000n);
    assert.deepEqual(image.features.get("metadata.version"), { min: 1, max: 7 });
    const before = image;
    image = replayed(image, [{ type: "NoOpRecord", version: 0, data: {} }]);
    assert.equal(image.offset, 2n);
    assert.equal(image.brokers, before.brokers);
    assert.equal(image.topicsByName, before.topicsByName);
    assert.throws(
      () =>
        new MetadataDelta(image).replay({
          type: "ProducerIdsRecord",
          version: 0,
          data: { brokerId: 1, brokerEpoch: 7n, producerIdsEnd: 1000n },
        }),
      MetadataReplayError,
    );
  });

  it("when a TopicRecord names an existing topic or a PartitionRecord skips an index, then replay fails", () => {
    const image = withTopic(MetadataImage.EMPTY, "orders", [[1]]);
    const delta = new MetadataDelta(image);
    assert.throws(
      () => delta.replay({ type: "TopicRecord", version: 0, data: { name: "orders", topicId: topicIdOf("other") } }),
      MetadataReplayError,
    );
    assert.throws(
      () =>
        delta.replay({
          type: "PartitionRecord",
          version: 0,
          data: {
            partitionId: 3,
            topicId: ordersId,
            replicas: [1],
            isr: [1],
            removingReplicas: [],
            addingReplicas: [],
            leader: 1,
            leaderEpoch: 0,
            partitionEpoch: 0,
          },
        }),
      MetadataReplayError,
    );
  });

  it("when a batch changes one partition, then every other broker, topic and partition object is shared with the old image", () => {
    let image = commit(MetadataImage.EMPTY, [registerBrokerRecord(1, 1n), registerBrokerRecord(2, 2n)]);
    image = withTopic(image, "orders", [[1], [2]]);
    image = withTopic(image, "payments", [[1]]);
    const next = commit(image, [
      { type: "PartitionChangeRecord", version: 0, data: { partitionId: 1, topicId: ordersId, isr: null, leader: -1 } },
    ]);
    assert.equal(next.brokers, image.brokers);
    assert.equal(next.topic("payments"), image.topic("payments"));
    assert.notEqual(next.topic("orders"), image.topic("orders"));
    assert.equal(next.partition("orders", 0), image.partition("orders", 0));
    assert.equal(next.partition("orders", 1)!.leader, -1);
    assert.equal(image.partition("orders", 1)!.leader, 2, "the old image is unchanged");
  });

  it("when a topic is created and removed in one batch, then the image has no trace of it", () => {
    const image = applyBatch(
      MetadataImage.EMPTY,
      [
        { type: "TopicRecord", version: 0, data: { name: "brief", topicId: topicIdOf("brief") } },
        { type: "RemoveTopicRecord", version: 0, data: { topicId: topicIdOf("brief") } },
        { type: "TopicRecord", version: 0, data: { name: "brief", topicId: topicIdOf("again") } },
      ],
      10n,
      3,
    );
    assert.deepEqual(image.topic("brief")!.topicId, topicIdOf("again"));
    assert.equal(image.topicsById.size, 1);
    assert.equal(image.offset, 12n);
    assert.equal(image.epoch, 3);
  });

  it("when records are applied uncommitted, then the image changes but its offset does not and registrations have no offset", () => {
    const image = commit(MetadataImage.EMPTY, [{ type: "NoOpRecord", version: 0, data: {} }]);
    const next = applyUncommitted(image, [registerBrokerRecord(4, 9n)]);
    assert.equal(next.offset, image.offset);
    assert.equal(next.broker(4)!.registrationOffset, -1n);
  });

  it("when mergePartitionChange names the same leader, then the leader epoch still rises", () => {
    const partition = { partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 5 };
    assert.deepEqual(mergePartitionChange(partition, null, 1), { ...partition, leaderEpoch: 4, partitionEpoch: 6 });
  });
});
