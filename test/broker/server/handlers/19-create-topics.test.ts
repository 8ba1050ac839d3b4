import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { CreateTopicsRequestCreatableTopic } from "../../../../broker/protocol/messages/index.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

const topic = (
  name: string,
  more: Partial<CreateTopicsRequestCreatableTopic> = {},
): CreateTopicsRequestCreatableTopic => ({
  name,
  numPartitions: 2,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...more,
});

describe("CreateTopics, DeleteTopics and DescribeConfigs", () => {
  const broker = useBroker({ config: { "num.partitions": 3, "log.retention.ms": 3600000 } });
  const client = useWireClient(broker);
  const create = async (...topics: CreateTopicsRequestCreatableTopic[]) =>
    (await client.request(Apis.CreateTopics, 4, { topics, timeoutMs: 5000, validateOnly: false })).topics;
  const describeTopic = async (name: string, keys: string[] | null = null) =>
    (
      await client.request(Apis.DescribeConfigs, 2, {
        resources: [{ resourceType: 2, resourceName: name, configurationKeys: keys }],
        includeSynonyms: false,
      })
    ).results[0]!;

  it("when a topic is created with configs, then DescribeConfigs shows the overrides and the broker defaults", async () => {
    const [result] = await create(
      topic("configured", {
        configs: [
          { name: "retention.ms", value: "60000" },
          { name: "cleanup.policy", value: "compact" },
        ],
      }),
    );
    assert.equal(result!.errorCode, ErrorCode.NONE);
    const described = await describeTopic("configured");
    const byName = new Map(described.configs.map((c) => [c.name, c]));
    assert.equal(byName.get("retention.ms")!.value, "60000");
    // From v1, config_source replaces is_default: 1 = topic override, 5 = default.
    assert.equal(byName.get("retention.ms")!.configSource, 1);
    assert.equal(byName.get("cleanup.policy")!.value, "compact");
    assert.equal(byName.get("segment.bytes")!.configSource, 5);
    assert.deepEqual(
      (await describeTopic("configured", ["retention.ms"])).configs.map((c) => c.name),
      ["retention.ms"],
    );
  });

  it("when numPartitions is -1, then the broker's num.partitions applies", async () => {
    await create(topic("defaulted", { numPartitions: -1, replicationFactor: -1 }));
    const metadata = await client.request(Apis.Metadata, 6, {
      topics: [{ name: "defaulted" }],
      allowAutoTopicCreation: false,
    });
    assert.equal(metadata.topics[0]!.partitions.length, 3);
  });

  it("when the request is wrong, then each topic gets its own error and message", async () => {
    await create(topic("exists"));
    const results = await create(
      topic("exists"),
      topic("bad/name"),
      topic("zero", { numPartitions: 0 }),
      topic("replicated", { replicationFactor: 3 }),
      topic("bad-config", { configs: [{ name: "retention.ms", value: "soon" }] }),
      topic("unknown-config", { configs: [{ name: "colour", value: "blue" }] }),
    );
    assert.deepEqual(
      results.map((r) => [r.name, r.errorCode]),
      [
        ["exists", ErrorCode.TOPIC_ALREADY_EXISTS],
        ["bad/name", ErrorCode.INVALID_TOPIC_EXCEPTION],
        ["zero", ErrorCode.INVALID_PARTITIONS],
        ["replicated", ErrorCode.INVALID_REPLICATION_FACTOR],
        ["bad-config", ErrorCode.INVALID_CONFIG],
        ["unknown-config", ErrorCode.INVALID_CONFIG],
      ],
    );
    assert.ok(results.every((r) => (r.errorMessage ?? "").length > 0));
  });

  it("when a request asks for more than 10,000 partitions in all, then every topic gets POLICY_VIOLATION", async () => {
    const results = await create(topic("huge", { numPartitions: 0x7fffffff }));
    assert.equal(results[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.match(results[0]!.errorMessage ?? "", /Excessively large number of partitions per request/);
    const together = await create(topic("half-a", { numPartitions: 5_001 }), topic("half-b", { numPartitions: 5_000 }));
    assert.deepEqual(
      together.map((t) => t.errorCode),
      [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION],
    );
    const metadata = await client.request(Apis.Metadata, 6, {
      topics: [{ name: "huge" }, { name: "half-a" }],
      allowAutoTopicCreation: false,
    });
    assert.deepEqual(
      metadata.topics.map((t) => t.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
  });

  it("when validate-only, then nothing is created", async () => {
    const { topics } = await client.request(Apis.CreateTopics, 4, {
      topics: [topic("dry-run")],
      timeoutMs: 5000,
      validateOnly: true,
    });
    assert.equal(topics[0]!.errorCode, ErrorCode.NONE);
    const metadata = await client.request(Apis.Metadata, 6, {
      topics: [{ name: "dry-run" }],
      allowAutoTopicCreation: false,
    });
    assert.equal(metadata.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when a topic is deleted, then it is gone, an unknown one errs and __consumer_offsets is refused", async () => {
    await create(topic("doomed"));
    const { responses } = await client.request(Apis.DeleteTopics, 3, {
      topicNames: ["doomed", "never-was", "__consumer_offsets"],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      responses.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION],
    );
    const metadata = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    assert.ok(!metadata.topics.some((t) => t.name === "doomed"));
    assert.ok(metadata.topics.some((t) => t.name === "__consumer_offsets" && t.isInternal));
  });

  it("when describing the broker, then its configs show which were set on the command line", async () => {
    const { results } = await client.request(Apis.DescribeConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: "0", configurationKeys: ["log.retention.ms", "log.segment.bytes"] }],
      includeSynonyms: false,
    });
    const byName = new Map(results[0]!.configs.map((c) => [c.name, c]));
    assert.equal(byName.get("log.retention.ms")!.value, "3600000");
    assert.equal(byName.get("log.retention.ms")!.configSource, 4, "static broker config");
    assert.equal(byName.get("log.segment.bytes")!.configSource, 5);
  });
});
