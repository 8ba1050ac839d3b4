import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { startBroker, useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useWireClient, WireClient } from "../../../helpers/wire-client.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";

describe("Metadata", () => {
  const broker = useBroker({ config: { "num.partitions": 3, "offsets.topic.num.partitions": 2 } });
  const client = useWireClient(broker);
  const topicNames = async (version: number, topics: Array<{ name: string }> | null, allowAutoTopicCreation = false) =>
    (await client.request(Apis.Metadata, version, { topics, allowAutoTopicCreation })).topics;

  before(async () => {
    await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 2 }]));
  });

  it("when every topic is asked for, then each with its partitions led by this broker, which is advertised at its bound address", async () => {
    const response = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    assert.deepEqual(response.brokers, [{ nodeId: 0, host: broker.host, port: broker.port, rack: null }]);
    assert.equal(response.controllerId, 0);
    assert.match(response.clusterId ?? "", /^[\w-]{22}$/);
    const byName = new Map(response.topics.map((t) => [t.name, t]));
    assert.deepEqual([...byName.keys()].sort(), ["__consumer_offsets", "sales"]);
    assert.equal(byName.get("__consumer_offsets")?.isInternal, true);
    assert.equal(byName.get("sales")?.isInternal, false);
    assert.deepEqual(byName.get("sales")?.partitions, [
      // leaderEpoch is v7+: absent at v6, decoded as its default.
      {
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 0,
        leaderEpoch: -1,
        replicaNodes: [0],
        isrNodes: [0],
        offlineReplicas: [],
      },
      {
        errorCode: 0,
        partitionIndex: 1,
        leaderId: 0,
        leaderEpoch: -1,
        replicaNodes: [0],
        isrNodes: [0],
        offlineReplicas: [],
      },
    ]);
  });

  it("when v0 sends an empty list, then it means every topic (v0 has no null)", async () => {
    assert.deepEqual((await topicNames(0, [])).map((t) => t.name).sort(), ["__consumer_offsets", "sales"]);
  });

  it("when v4 or later asks for an unknown topic without allowing creation, then UNKNOWN_TOPIC_OR_PARTITION and it is not created", async () => {
    const [topic] = await topicNames(6, [{ name: "not-asked-to-create" }], false);
    assert.deepEqual([topic?.errorCode, topic?.partitions], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]);
    assert.equal(
      (await topicNames(6, null)).some((t) => t.name === "not-asked-to-create"),
      false,
    );
  });

  it("when v4 or later allows creation, or an older version asks (the broker setting decides), then the topic is created with num.partitions", async () => {
    const [v6] = await topicNames(6, [{ name: "auto-v6" }], true);
    assert.deepEqual([v6?.errorCode, v6?.partitions.length], [ErrorCode.NONE, 3]);
    const [v1] = await topicNames(1, [{ name: "auto-v1" }]);
    assert.deepEqual([v1?.errorCode, v1?.partitions.length], [ErrorCode.NONE, 3]);
  });

  it("when an auto-created name is illegal, then INVALID_TOPIC_EXCEPTION", async () => {
    const [topic] = await topicNames(6, [{ name: "no spaces allowed" }], true);
    assert.equal(topic?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe("Metadata with auto.create.topics.enable=false", () => {
  it("when an unknown topic is asked for, then no version creates it, the v4 flag included", async (t) => {
    const broker = await startBroker({ config: { "auto.create.topics.enable": false } });
    const client = await WireClient.connect(broker.address);
    t.after(async () => {
      client.close();
      await broker.cleanup();
    });
    for (const [version, allow] of [
      [1, false],
      [6, true],
    ] as const) {
      const response = await client.request(Apis.Metadata, version, {
        topics: [{ name: "wanted" }],
        allowAutoTopicCreation: allow,
      });
      assert.equal(response.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${version}`);
    }
    const all = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    assert.equal(
      all.topics.some((topic) => topic.name === "wanted"),
      false,
    );
  });
});

describe("Metadata v10 and v12 (topic ids)", () => {
  const broker = useRoutedBroker();

  it("when v10 describes a topic, then with its id and leader epochs; v12 finds it by id alone, an unknown id gets UNKNOWN_TOPIC_ID", async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "ids", numPartitions: 1 }]));
    const byName = await broker.request(Apis.Metadata, 10, {
      topics: [{ name: "ids", topicId: Buffer.alloc(16) }],
      allowAutoTopicCreation: false,
    });
    const described = byName!.topics[0]!;
    assert.equal(described.topicId?.length, 16);
    assert.notDeepEqual(described.topicId, Buffer.alloc(16));
    assert.ok((described.partitions[0]?.leaderEpoch ?? -1) >= 0);
    const byId = await broker.request(Apis.Metadata, 12, {
      topics: [
        { name: null, topicId: described.topicId! },
        { name: null, topicId: Buffer.alloc(16, 0xee) },
      ],
      allowAutoTopicCreation: false,
    });
    assert.deepEqual(
      byId!.topics.map((t) => [t.name, t.errorCode]),
      [
        ["ids", ErrorCode.NONE],
        ["", ErrorCode.UNKNOWN_TOPIC_ID],
      ],
    );
  });
});
