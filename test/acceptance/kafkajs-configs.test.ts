// Acceptance: kafkajs 2.2.4's alterConfigs and describeConfigs against a real broker process —
// topic configs altered at runtime are reported with their source, take effect at once, survive a
// restart; broker configs are described and, for the dynamic ones, altered; bad requests are
// refused with Kafka's error codes. IncrementalAlterConfigs (kafkajs has no call for it) goes
// through our protocol codec.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Admin, Kafka } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { requestOnce } from "../helpers/wire-client.ts";
import { errorChain, kafkaClient, useAcceptanceBroker, withBrokerLog } from "./helpers.ts";

// kafkajs's ConfigResourceTypes (a CommonJS export ESM cannot name).
const ConfigResourceTypes = { TOPIC: 2, BROKER: 4 } as const;
const DYNAMIC_TOPIC_CONFIG = 1;
const DYNAMIC_BROKER_CONFIG = 2;
const DEFAULT_CONFIG = 5;

async function topicConfig(admin: Admin, topic: string, name: string) {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  const entry = resources[0]!.configEntries.find((e) => e.configName === name);
  assert.ok(entry, `${name} is described`);
  return entry;
}

async function rejection(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    return errorChain(error).types;
  }
  assert.fail("expected the request to be refused");
}

describe("kafkajs: alterConfigs and describeConfigs", () => {
  // Retention passes often, so a lowered retention.bytes shows within the test.
  const suite = useAcceptanceBroker({ "log.retention.check.interval.ms": 200 });
  const big = "x".repeat(4000);

  it("when a topic's max.message.bytes is altered, then describeConfigs reports it as a dynamic topic config, a larger produce is refused, and both hold after a restart", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      let kafka: Kafka = kafkaClient(suite.broker.address, "acceptance-configs");
      let admin = await suite.connect(kafka.admin());
      await admin.createTopics({ topics: [{ topic: "altered", numPartitions: 1 }], waitForLeaders: true });
      let producer = await suite.connect(kafka.producer());
      await producer.send({ topic: "altered", acks: -1, messages: [{ value: big }] });

      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: "altered",
            configEntries: [
              { name: "max.message.bytes", value: "1000" },
              { name: "retention.ms", value: "3600000" },
            ],
          },
        ],
      });
      const entry = await topicConfig(admin, "altered", "max.message.bytes");
      assert.equal(entry.configValue, "1000");
      assert.equal(entry.configSource, DYNAMIC_TOPIC_CONFIG);
      assert.equal((await topicConfig(admin, "altered", "retention.ms")).configValue, "3600000");
      assert.ok(
        (await rejection(producer.send({ topic: "altered", acks: -1, messages: [{ value: big }] }))).includes(
          "MESSAGE_TOO_LARGE",
        ),
      );
      await producer.send({ topic: "altered", acks: -1, messages: [{ value: "small" }] });

      await suite.broker.stop();
      await suite.broker.restart();
      kafka = kafkaClient(suite.broker.address, "acceptance-configs-after");
      admin = await suite.connect(kafka.admin());
      producer = await suite.connect(kafka.producer());
      const after = await topicConfig(admin, "altered", "max.message.bytes");
      assert.equal(after.configValue, "1000");
      assert.equal(after.configSource, DYNAMIC_TOPIC_CONFIG);
      assert.ok(
        (await rejection(producer.send({ topic: "altered", acks: -1, messages: [{ value: big }] }))).includes(
          "MESSAGE_TOO_LARGE",
        ),
      );

      // AlterConfigs replaces the whole set: what it leaves out goes back to the default.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: "altered",
            configEntries: [{ name: "retention.ms", value: "7200000" }],
          },
        ],
      });
      const reset = await topicConfig(admin, "altered", "max.message.bytes");
      assert.equal(reset.configSource, DEFAULT_CONFIG);
      await producer.send({ topic: "altered", acks: -1, messages: [{ value: big }] });
    });
  });

  it("when a topic's retention.bytes is lowered, then the live partition's next retention pass deletes its oldest segments", {
    timeout: 60_000,
  }, async () => {
    const kafka = kafkaClient(suite.broker.address, "acceptance-configs-retention");
    const admin = await suite.connect(kafka.admin());
    const producer = await suite.connect(kafka.producer());
    await admin.createTopics({
      topics: [{ topic: "shrinking", numPartitions: 1, configEntries: [{ name: "segment.bytes", value: "1024" }] }],
      waitForLeaders: true,
    });
    for (const i of range(20))
      await producer.send({ topic: "shrinking", acks: -1, messages: [{ value: `${i}:${"r".repeat(300)}` }] });
    const low = async () => Number((await admin.fetchTopicOffsets("shrinking"))[0]!.low);
    assert.equal(await low(), 0);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: "shrinking",
          configEntries: [
            { name: "segment.bytes", value: "1024" },
            { name: "retention.bytes", value: "1024" },
          ],
        },
      ],
    });
    await waitFor(async () => (await low()) > 0, { message: "the log start offset to move past 0" });
  });

  it("when alterConfigs names an unknown config, a bad value or validates only, then it is refused with INVALID_CONFIG or changes nothing", {
    timeout: 60_000,
  }, async () => {
    const kafka = kafkaClient(suite.broker.address, "acceptance-configs-invalid");
    const admin = await suite.connect(kafka.admin());
    await admin.createTopics({ topics: [{ topic: "strict", numPartitions: 1 }], waitForLeaders: true });
    const alter = (name: string, value: string, validateOnly = false) =>
      admin.alterConfigs({
        validateOnly,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: "strict", configEntries: [{ name, value }] }],
      });
    assert.ok((await rejection(alter("no.such.config", "1"))).includes("INVALID_CONFIG"));
    assert.ok((await rejection(alter("retention.ms", "soon"))).includes("INVALID_CONFIG"));
    assert.ok((await rejection(alter("cleanup.policy", "shred"))).includes("INVALID_CONFIG"));
    await alter("retention.ms", "1000", true);
    assert.equal((await topicConfig(admin, "strict", "retention.ms")).configSource, DEFAULT_CONFIG);
  });

  it("when the broker resource is described and a dynamic broker config altered, then topics without their own value inherit it, and a non-dynamic one is refused", {
    timeout: 60_000,
  }, async () => {
    const kafka = kafkaClient(suite.broker.address, "acceptance-configs-broker");
    const admin = await suite.connect(kafka.admin());
    const { brokers } = await admin.describeCluster();
    const brokerId = String(brokers[0]!.nodeId);
    const describeBroker = async () =>
      (
        await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.BROKER, name: brokerId }],
        })
      ).resources[0]!;
    const before = await describeBroker();
    assert.equal(before.errorCode, 0);
    assert.ok(before.configEntries.some((e) => e.configName === "num.partitions"));

    await admin.createTopics({ topics: [{ topic: "inherits", numPartitions: 1 }], waitForLeaders: true });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: brokerId,
          configEntries: [{ name: "log.retention.ms", value: "5400000" }],
        },
      ],
    });
    const retention = (await describeBroker()).configEntries.find((e) => e.configName === "log.retention.ms")!;
    assert.equal(retention.configValue, "5400000");
    assert.equal(retention.configSource, DYNAMIC_BROKER_CONFIG);
    assert.equal(retention.readOnly, false);
    const inherited = await topicConfig(admin, "inherits", "retention.ms");
    assert.equal(inherited.configValue, "5400000");
    assert.equal(inherited.configSource, DYNAMIC_BROKER_CONFIG);

    const refused = await rejection(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.BROKER, name: brokerId, configEntries: [{ name: "num.partitions", value: "3" }] },
        ],
      }),
    );
    assert.ok(refused.includes("INVALID_REQUEST"), refused.join(","));
  });

  it("when IncrementalAlterConfigs sets, appends and deletes topic configs, then only those change and DELETE goes back to the default", {
    timeout: 60_000,
  }, async () => {
    const kafka = kafkaClient(suite.broker.address, "acceptance-configs-incremental");
    const admin = await suite.connect(kafka.admin());
    await admin.createTopics({ topics: [{ topic: "incremental", numPartitions: 1 }], waitForLeaders: true });
    const incremental = async (
      version: number,
      configs: { name: string; configOperation: number; value: string | null }[],
    ) => {
      const response = await requestOnce(suite.broker.address, Apis.IncrementalAlterConfigs, version, {
        validateOnly: false,
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: "incremental", configs }],
      });
      return response.responses[0]!;
    };
    const set = await incremental(1, [
      { name: "segment.ms", configOperation: 0, value: "600000" },
      { name: "segment.bytes", configOperation: 0, value: "1048576" },
    ]);
    assert.equal(set.errorCode, ErrorCode.NONE, set.errorMessage ?? "");
    assert.equal((await topicConfig(admin, "incremental", "segment.bytes")).configValue, "1048576");

    assert.equal((await topicConfig(admin, "incremental", "segment.ms")).configValue, "600000");
    const deleted = await incremental(0, [{ name: "segment.ms", configOperation: 1, value: null }]);
    assert.equal(deleted.errorCode, ErrorCode.NONE);
    assert.equal((await topicConfig(admin, "incremental", "segment.ms")).configSource, DEFAULT_CONFIG);
    assert.equal((await topicConfig(admin, "incremental", "segment.bytes")).configSource, DYNAMIC_TOPIC_CONFIG);

    const appended = await incremental(1, [{ name: "cleanup.policy", configOperation: 2, value: "delete" }]);
    assert.equal(appended.errorCode, ErrorCode.NONE);
    assert.equal((await topicConfig(admin, "incremental", "cleanup.policy")).configValue, "delete");

    const notAList = await incremental(1, [{ name: "retention.ms", configOperation: 2, value: "1" }]);
    assert.equal(notAList.errorCode, ErrorCode.INVALID_CONFIG);
    const badValue = await incremental(1, [{ name: "segment.bytes", configOperation: 0, value: "-3" }]);
    assert.equal(badValue.errorCode, ErrorCode.INVALID_CONFIG);
    assert.ok(badValue.errorMessage?.includes("segment.bytes"));
  });
});
