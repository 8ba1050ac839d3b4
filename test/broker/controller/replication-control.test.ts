import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPartitions, createTopics, deleteTopics } from "../../../broker/controller/replication-control.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { MAX_NEW_PARTITIONS_PER_REQUEST } from "../../../broker/server/topics.ts";
import { clusterOf, commit, creatable, topicIdOf, topicSettings, withTopic } from "./cluster-fixture.ts";

describe("createTopics", () => {
  it("when a 6-partition topic at replication factor 3 is created on 3 brokers, then each broker leads 2 partitions and the records say so", () => {
    const image = clusterOf([1, 2, 3]);
    const { records, response } = createTopics(
      image,
      [creatable("orders", { numPartitions: 6, replicationFactor: 3 })],
      false,
      topicSettings(),
    );
    assert.deepEqual(
      response.map((r) => [r.name, r.errorCode, r.numPartitions, r.replicationFactor]),
      [["orders", ErrorCode.NONE, 6, 3]],
    );
    assert.deepEqual(
      records.map((r) => r.type),
      ["TopicRecord", ...Array(6).fill("PartitionRecord")],
    );
    const created = commit(image, records);
    const topic = created.topic("orders")!;
    assert.deepEqual(topic.topicId, response[0]!.topicId);
    const leads = new Map<number, number>();
    for (const p of topic.partitions) {
      assert.equal(new Set(p.replicas).size, 3);
      assert.deepEqual(p.isr, p.replicas);
      assert.equal(p.leader, p.replicas[0]);
      assert.equal(p.leaderEpoch, 0);
      assert.equal(p.partitionEpoch, 0);
      leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
    }
    assert.deepEqual([...leads.entries()].sort(), [
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
  });

  it("when the replication factor exceeds the live brokers, then INVALID_REPLICATION_FACTOR and no records", () => {
    const image = clusterOf([1, 2, 3], { fenced: [3] });
    const { records, response } = createTopics(
      image,
      [creatable("orders", { replicationFactor: 3 })],
      false,
      topicSettings(),
    );
    assert.equal(response[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.match(response[0]!.errorMessage!, /only 2 broker\(s\)/);
    assert.deepEqual(records, []);
  });

  it("when -1 asks for defaults, then num.partitions and default.replication.factor apply", () => {
    const { response } = createTopics(
      clusterOf([1, 2, 3]),
      [creatable("defaults", { numPartitions: -1, replicationFactor: -1 })],
      false,
      topicSettings({ defaultPartitions: 4, defaultReplicationFactor: 2 }),
    );
    assert.deepEqual([response[0]!.numPartitions, response[0]!.replicationFactor], [4, 2]);
  });

  it("when topics are wrong, then each gets Kafka's error and the good ones are still created", () => {
    const image = withTopic(withTopic(clusterOf([1, 2]), "exists", [[1]]), "with_underscore", [[1]]);
    const { records, response } = createTopics(
      image,
      [
        creatable("exists"),
        creatable("bad/name"),
        creatable("zero", { numPartitions: 0 }),
        creatable("factor-zero", { replicationFactor: 0 }),
        creatable("null-config", { configs: [{ name: "retention.ms", value: null }] }),
        creatable("twice"),
        creatable("twice"),
        creatable("with.underscore"),
        creatable("good", { configs: [{ name: "retention.ms", value: "60000" }] }),
      ],
      false,
      topicSettings(),
    );
    assert.deepEqual(
      response.map((r) => [r.name, r.errorCode]),
      [
        ["exists", ErrorCode.TOPIC_ALREADY_EXISTS],
        ["bad/name", ErrorCode.INVALID_TOPIC_EXCEPTION],
        ["zero", ErrorCode.INVALID_PARTITIONS],
        ["factor-zero", ErrorCode.INVALID_REPLICATION_FACTOR],
        ["null-config", ErrorCode.INVALID_CONFIG],
        ["twice", ErrorCode.INVALID_REQUEST],
        ["twice", ErrorCode.INVALID_REQUEST],
        ["with.underscore", ErrorCode.INVALID_TOPIC_EXCEPTION],
        ["good", ErrorCode.NONE],
      ],
    );
    assert.equal(response[0]!.errorMessage, "Topic 'exists' already exists.");
    assert.deepEqual(
      records.map((r) => r.type),
      ["TopicRecord", "ConfigRecord", "PartitionRecord"],
    );
    assert.equal(commit(image, records).topicConfig("good", "retention.ms"), "60000");
  });

  it("when two new names in one request collide, then the second is refused", () => {
    const { response } = createTopics(clusterOf([1]), [creatable("a.b"), creatable("a_b")], false, topicSettings());
    assert.deepEqual(
      response.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION],
    );
  });

  it("when the config validator refuses a config, then its error is the topic's", () => {
    const { response } = createTopics(
      clusterOf([1]),
      [creatable("t", { configs: [{ name: "colour", value: "blue" }] })],
      false,
      topicSettings({
        validateTopicConfigs: (configs) =>
          "colour" in configs
            ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "unknown topic config colour" }
            : null,
      }),
    );
    assert.deepEqual(
      [response[0]!.errorCode, response[0]!.errorMessage],
      [ErrorCode.INVALID_CONFIG, "unknown topic config colour"],
    );
  });

  it("when validateOnly is set, then the answer is the same but no records are written", () => {
    const { records, response } = createTopics(clusterOf([1]), [creatable("t")], true, topicSettings());
    assert.equal(response[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(records, []);
  });

  it("when the request adds too many partitions in all, then every topic gets POLICY_VIOLATION", () => {
    const { records, response } = createTopics(
      clusterOf([1]),
      [creatable("a", { numPartitions: MAX_NEW_PARTITIONS_PER_REQUEST }), creatable("b")],
      false,
      topicSettings(),
    );
    assert.deepEqual(
      response.map((r) => r.errorCode),
      [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION],
    );
    assert.deepEqual(records, []);
  });

  it("when replicas are assigned by hand, then Kafka's checks apply and the ISR holds only active replicas", () => {
    const image = clusterOf([1, 2, 3], { fenced: [3] });
    const manual = (assignments: { partitionIndex: number; brokerIds: number[] }[], more = {}) =>
      createTopics(
        image,
        [creatable("m", { numPartitions: -1, replicationFactor: -1, assignments, ...more })],
        false,
        topicSettings(),
      );
    const ok = manual([
      { partitionIndex: 0, brokerIds: [3, 2] },
      { partitionIndex: 1, brokerIds: [1, 3] },
    ]);
    assert.equal(ok.response[0]!.errorCode, ErrorCode.NONE);
    const topic = commit(image, ok.records).topic("m")!;
    assert.deepEqual(
      topic.partitions.map((p) => [p.replicas, p.isr, p.leader]),
      [
        [[3, 2], [2], 2],
        [[1, 3], [1], 1],
      ],
    );
    const code = (result: ReturnType<typeof manual>) => result.response[0]!.errorCode;
    assert.equal(
      code(manual([{ partitionIndex: 0, brokerIds: [1] }], { replicationFactor: 1 })),
      ErrorCode.INVALID_REQUEST,
    );
    assert.equal(
      code(manual([{ partitionIndex: 0, brokerIds: [1] }], { numPartitions: 1 })),
      ErrorCode.INVALID_REQUEST,
    );
    assert.equal(code(manual([{ partitionIndex: 0, brokerIds: [1, 1] }])), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(code(manual([{ partitionIndex: 0, brokerIds: [9] }])), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(code(manual([{ partitionIndex: 1, brokerIds: [1] }])), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(code(manual([{ partitionIndex: 0, brokerIds: [3] }])), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(
      code(
        manual([
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 1, brokerIds: [1, 2] },
        ]),
      ),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    );
  });
});

describe("createPartitions", () => {
  it("when a topic grows, then the new partitions keep its replication factor and continue the striping", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const { records, response } = createPartitions(
      image,
      [{ name: "orders", count: 4, assignments: null }],
      false,
      topicSettings(),
    );
    assert.deepEqual(response, [{ name: "orders", errorCode: ErrorCode.NONE, errorMessage: null }]);
    const topic = commit(image, records).topic("orders")!;
    assert.deepEqual(
      topic.partitions.map((p) => p.replicas),
      [
        [1, 2],
        [2, 3],
        [3, 1],
        [1, 2],
      ],
    );
  });

  it("when the count does not grow the topic, the topic is unknown, or the assignment does not fit, then Kafka's errors", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [[1], [2]]);
    const { records, response } = createPartitions(
      image,
      [
        { name: "orders", count: 2, assignments: null },
        { name: "orders-missing", count: 3, assignments: null },
        { name: "orders", count: 1, assignments: null },
      ],
      false,
      topicSettings(),
    );
    assert.deepEqual(
      response.map((r) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST],
    );
    assert.deepEqual(records, []);
    const single = (wanted: Parameters<typeof createPartitions>[1][number]) =>
      createPartitions(image, [wanted], false, topicSettings()).response[0]!;
    assert.equal(single({ name: "orders", count: 2, assignments: null }).errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(single({ name: "orders", count: 1, assignments: null }).errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(
      single({ name: "orders", count: 4, assignments: [{ brokerIds: [1] }] }).errorCode,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    );
    assert.equal(
      single({ name: "orders", count: 3, assignments: [{ brokerIds: [1, 2] }] }).errorCode,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    );
    const manual = createPartitions(
      image,
      [{ name: "orders", count: 3, assignments: [{ brokerIds: [2] }] }],
      false,
      topicSettings(),
    );
    assert.deepEqual(commit(image, manual.records).partition("orders", 2)!.replicas, [2]);
  });

  it("when validateOnly is set, then nothing is written", () => {
    const image = withTopic(clusterOf([1]), "orders", [[1]]);
    const { records, response } = createPartitions(
      image,
      [{ name: "orders", count: 2, assignments: null }],
      true,
      topicSettings(),
    );
    assert.equal(response[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(records, []);
  });
});

describe("deleteTopics", () => {
  it("when topics are deleted, then existing ones get a RemoveTopicRecord and the rest Kafka's errors", () => {
    let image = withTopic(clusterOf([1]), "orders", [[1]]);
    image = withTopic(image, "__consumer_offsets", [[1]]);
    const { records, response } = deleteTopics(image, ["orders", "missing", "__consumer_offsets"]);
    assert.deepEqual(
      response.map((r) => [r.name, r.errorCode]),
      [
        ["orders", ErrorCode.NONE],
        ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ["__consumer_offsets", ErrorCode.INVALID_TOPIC_EXCEPTION],
      ],
    );
    assert.deepEqual(records, [{ type: "RemoveTopicRecord", version: 0, data: { topicId: topicIdOf("orders") } }]);
    assert.equal(commit(image, records).topic("orders"), undefined);
    assert.equal(deleteTopics(image, ["orders", "orders"]).response[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  });
});
