import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
} from "../../../../broker/client/errors.ts";
import { errorShape, rejectionOf, useAdmins } from "./fixture.ts";

describe("admin: topics, partitions and cluster", () => {
  const fx = useAdmins();

  it("when a topic is created, then true; when it already exists, then false (as kafkajs)", async () => {
    assert.equal(await fx.ours.createTopics({ topics: [{ topic: "created-ours", numPartitions: 3 }] }), true);
    assert.equal(await fx.kafkajs.createTopics({ topics: [{ topic: "created-kafkajs", numPartitions: 3 }] }), true);

    assert.equal(await fx.ours.createTopics({ topics: [{ topic: "created-kafkajs" }] }), false);
    assert.equal(await fx.kafkajs.createTopics({ topics: [{ topic: "created-ours" }] }), false);

    const [ours, theirs] = await Promise.all([
      fx.ours.fetchTopicMetadata({ topics: ["created-ours"] }),
      fx.kafkajs.fetchTopicMetadata({ topics: ["created-kafkajs"] }),
    ]);
    assert.deepEqual(ours.topics[0]!.partitions, theirs.topics[0]!.partitions);
    assert.equal(ours.topics[0]!.partitions.length, 3);
  });

  it("when some topics exist and others are new, then false and the new ones are created (as kafkajs)", async () => {
    assert.equal(
      await fx.ours.createTopics({ topics: [{ topic: "created-ours" }, { topic: "mixed-new-ours" }] }),
      false,
    );
    assert.equal(
      await fx.kafkajs.createTopics({ topics: [{ topic: "created-kafkajs" }, { topic: "mixed-new-kafkajs" }] }),
      false,
    );
    const topics = await fx.ours.listTopics();
    assert.ok(topics.includes("mixed-new-ours") && topics.includes("mixed-new-kafkajs"));
  });

  it("when creation fails, then KafkaJSAggregateError of KafkaJSCreateTopicError per failed topic, as kafkajs", async () => {
    const request = (suffix: string) => ({
      topics: [
        { topic: `too-many-replicas-${suffix}`, replicationFactor: 5 },
        { topic: `bad name ${suffix}!` },
        { topic: "created-ours" },
      ],
    });
    const ours = await rejectionOf(fx.ours.createTopics(request("x")));
    const theirs = await rejectionOf(fx.kafkajs.createTopics(request("x")));
    assert.ok(ours instanceof KafkaJSAggregateError);
    assert.ok(ours.errors.every((e) => e instanceof KafkaJSCreateTopicError));
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.deepEqual(
      (ours as KafkaJSAggregateError).errors.map((e) => [
        (e as KafkaJSCreateTopicError).topic,
        (e as KafkaJSCreateTopicError).type,
      ]),
      [
        ["bad name x!", "INVALID_TOPIC_EXCEPTION"],
        ["created-ours", "TOPIC_ALREADY_EXISTS"],
        ["too-many-replicas-x", "INVALID_REPLICATION_FACTOR"],
      ],
    );
  });

  it("when createTopics gets invalid input, then the same KafkaJSNonRetriableError as kafkajs", async () => {
    const inputs = [
      { topics: [{ topic: "dup" }, { topic: "dup" }] },
      { topics: [{ topic: 42 }] },
      { topics: [{ topic: "cfg", configEntries: [{ name: "cleanup.policy" }] }] },
    ] as never[];
    for (const input of inputs) {
      const ours = await rejectionOf(fx.ours.createTopics(input));
      const theirs = await rejectionOf(fx.kafkajs.createTopics(input));
      assert.ok(ours instanceof KafkaJSNonRetriableError);
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
    }
  });

  it("when validateOnly, then true and nothing is created", async () => {
    // kafkajs would wait for leaders of the topic it did not create and fail; ours does not wait.
    assert.equal(await fx.ours.createTopics({ validateOnly: true, topics: [{ topic: "only-validated" }] }), true);
    assert.ok(!(await fx.ours.listTopics()).includes("only-validated"));
  });

  it("when created with configs and a replica assignment, then the broker has them, as for kafkajs", async () => {
    const request = (topic: string) => ({
      topics: [
        {
          topic,
          replicaAssignment: [
            { partition: 0, replicas: [0] },
            { partition: 1, replicas: [0] },
          ],
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
    });
    assert.equal(await fx.ours.createTopics(request("configured-ours")), true);
    assert.equal(await fx.kafkajs.createTopics(request("configured-kafkajs")), true);
    const describe = (topic: string) => ({
      resources: [{ type: 2 as const, name: topic, configNames: ["cleanup.policy", "retention.ms"] }],
      includeSynonyms: false,
    });
    const ours = await fx.ours.describeConfigs(describe("configured-ours"));
    const theirs = await fx.kafkajs.describeConfigs(describe("configured-kafkajs"));
    assert.deepEqual({ ...ours.resources[0], resourceName: "x" }, { ...theirs.resources[0], resourceName: "x" });
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    const policy = ours.resources[0]!.configEntries.find((e) => e.configName === "cleanup.policy")!;
    assert.deepEqual([policy.configValue, policy.isDefault, policy.configSource], ["compact", false, 1]);
    const metadata = await fx.ours.fetchTopicMetadata({ topics: ["configured-ours"] });
    assert.equal(metadata.topics[0]!.partitions.length, 2);
  });

  it("when listing topics and fetching all metadata, then the same as kafkajs (internal topics included)", async () => {
    const [ours, theirs] = await Promise.all([fx.ours.listTopics(), fx.kafkajs.listTopics()]);
    assert.deepEqual([...ours].sort(), [...theirs].sort());
    const [ourMetadata, theirMetadata] = await Promise.all([
      fx.ours.fetchTopicMetadata(),
      fx.kafkajs.fetchTopicMetadata(),
    ]);
    const byName = (m: { topics: { name: string }[] }) => [...m.topics].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName(ourMetadata), byName(theirMetadata));
  });

  it("when fetching metadata of an unknown topic, then KafkaJSProtocolError UNKNOWN_TOPIC_OR_PARTITION, as kafkajs", async () => {
    const ours = await rejectionOf(fx.ours.fetchTopicMetadata({ topics: ["no-such-topic"] }));
    const theirs = await rejectionOf(fx.kafkajs.fetchTopicMetadata({ topics: ["no-such-topic"] }));
    assert.ok(ours instanceof KafkaJSProtocolError);
    assert.equal(ours.type, "UNKNOWN_TOPIC_OR_PARTITION");
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    // The admin keeps working after the question (no stale target topic poisons later calls).
    assert.ok((await fx.ours.listTopics()).includes("created-ours"));
  });

  it("when partitions are added, then the topic has them and the call resolves as kafkajs's does", async () => {
    assert.equal(await fx.ours.createPartitions({ topicPartitions: [{ topic: "created-ours", count: 5 }] }), undefined);
    assert.equal(
      await fx.kafkajs.createPartitions({ topicPartitions: [{ topic: "created-kafkajs", count: 5 }] }),
      undefined,
    );
    const [ours, theirs] = await Promise.all([
      fx.ours.fetchTopicMetadata({ topics: ["created-ours"] }),
      fx.kafkajs.fetchTopicMetadata({ topics: ["created-kafkajs"] }),
    ]);
    assert.deepEqual(ours.topics[0]!.partitions, theirs.topics[0]!.partitions);
    assert.deepEqual(
      ours.topics[0]!.partitions.map((p) => p.partitionId),
      [0, 1, 2, 3, 4],
    );
  });

  it("when asked to shrink a topic, then KafkaJSProtocolError INVALID_PARTITIONS with the broker's reason", async () => {
    const ours = await rejectionOf(
      fx.ours.createPartitions({ topicPartitions: [{ topic: "created-ours", count: 2 }] }),
    );
    const theirs = await rejectionOf(
      fx.kafkajs.createPartitions({ topicPartitions: [{ topic: "created-ours", count: 2 }] }),
    );
    assert.ok(ours instanceof KafkaJSProtocolError);
    assert.equal(ours.type, "INVALID_PARTITIONS");
    assert.match(ours.message, /partitions can only be added/);
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.equal((await fx.ours.fetchTopicMetadata({ topics: ["created-ours"] })).topics[0]!.partitions.length, 5);
  });

  it("when adding partitions to an unknown topic, then UNKNOWN_TOPIC_OR_PARTITION at once, as kafkajs", async () => {
    const request = { topicPartitions: [{ topic: "no-such-topic", count: 3 }] };
    const ours = await rejectionOf(fx.ours.createPartitions(request));
    const theirs = await rejectionOf(fx.kafkajs.createPartitions(request));
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.equal((ours as KafkaJSProtocolError).type, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("when a topic is deleted, then it is gone; deleting an unknown one fails after retries, as kafkajs", async () => {
    await fx.ours.createTopics({ topics: [{ topic: "doomed-ours" }, { topic: "doomed-kafkajs" }] });
    assert.equal(await fx.ours.deleteTopics({ topics: ["doomed-ours"] }), undefined);
    assert.equal(await fx.kafkajs.deleteTopics({ topics: ["doomed-kafkajs"] }), undefined);
    const topics = await fx.ours.listTopics();
    assert.ok(!topics.includes("doomed-ours") && !topics.includes("doomed-kafkajs"));

    const ours = await rejectionOf(fx.ours.deleteTopics({ topics: ["no-such-topic"] }));
    const theirs = await rejectionOf(fx.kafkajs.deleteTopics({ topics: ["no-such-topic"] }));
    assert.equal(ours.name, "KafkaJSNumberOfRetriesExceeded");
    assert.deepEqual(errorShape(ours), errorShape(theirs));
  });

  it("when describing the cluster, then brokers, controller and cluster id as kafkajs", async () => {
    const [ours, theirs] = await Promise.all([fx.ours.describeCluster(), fx.kafkajs.describeCluster()]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.brokers, [{ nodeId: 0, host: fx.broker.host, port: fx.broker.port }]);
    assert.equal(ours.controller, 0);
    assert.equal(typeof ours.clusterId, "string");
  });

  it("when the broker restarts, then the next call reconnects and succeeds", async () => {
    await fx.broker.restart();
    assert.ok((await fx.ours.listTopics()).includes("created-ours"));
    assert.equal(await fx.ours.createTopics({ topics: [{ topic: "after-restart" }] }), true);
  });
});
