import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { DescribeConfigsResource } from "../../../../broker/protocol/messages/index.ts";
import { brokerDefaults, topicConfigDefaults } from "../../../../broker/server/config.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

const TOPIC = 2;
const BROKER = 4;
const source = { topicOverride: 1, staticBroker: 4, default: 5 };

describe("DescribeConfigs", () => {
  const broker = useBroker({ config: { "log.retention.ms": 60_000 } });
  const client = useWireClient(broker);
  const describeConfigs = async (version: number, ...resources: DescribeConfigsResource[]) =>
    (await client.request(Apis.DescribeConfigs, version, { resources, includeSynonyms: false })).results;

  before(async () => {
    const created = await client.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([
        { name: "compacted", numPartitions: 1, configs: [{ name: "cleanup.policy", value: "compact" }] },
      ]),
    );
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
  });

  it("when a topic is described, then every topic config: its overrides as such, the rest from the broker's values", async () => {
    const [result] = await describeConfigs(2, {
      resourceType: TOPIC,
      resourceName: "compacted",
      configurationKeys: null,
    });
    assert.equal(result?.errorCode, ErrorCode.NONE);
    assert.deepEqual(result?.configs.map((c) => c.name).sort(), Object.keys(topicConfigDefaults).sort());
    const byName = new Map(result!.configs.map((c) => [c.name, c]));
    assert.deepEqual(
      [
        byName.get("cleanup.policy")?.value,
        byName.get("cleanup.policy")?.configSource,
        byName.get("cleanup.policy")?.isDefault,
      ],
      ["compact", source.topicOverride, false],
    );
    // Not overridden on the topic: the broker's value (set on its command line here), with its source, as Kafka says.
    assert.deepEqual(
      [
        byName.get("retention.ms")?.value,
        byName.get("retention.ms")?.configSource,
        byName.get("retention.ms")?.readOnly,
      ],
      ["60000", source.staticBroker, false],
    );
    assert.equal(byName.get("segment.bytes")?.configSource, source.default);
  });

  it("when configuration keys are named, then only those come back", async () => {
    const [result] = await describeConfigs(1, {
      resourceType: TOPIC,
      resourceName: "compacted",
      configurationKeys: ["segment.bytes", "cleanup.policy"],
    });
    assert.deepEqual(result?.configs.map((c) => c.name).sort(), ["cleanup.policy", "segment.bytes"]);
  });

  it("when synonyms are asked for, then a topic config lists its own value and the broker property behind it", async () => {
    const {
      results: [result],
    } = await client.request(Apis.DescribeConfigs, 1, {
      resources: [
        { resourceType: TOPIC, resourceName: "compacted", configurationKeys: ["cleanup.policy", "retention.ms"] },
      ],
      includeSynonyms: true,
    });
    const byName = new Map(result!.configs.map((c) => [c.name, c.synonyms]));
    assert.deepEqual(byName.get("cleanup.policy"), [
      { name: "cleanup.policy", value: "compact", source: source.topicOverride },
      { name: "log.cleanup.policy", value: "delete", source: source.default },
    ]);
    assert.deepEqual(byName.get("retention.ms"), [
      { name: "log.retention.ms", value: "60000", source: source.staticBroker },
    ]);
  });

  it("when the broker is described by its id or by an empty name, then its properties, those set at start as static, only the dynamic ones writable, credentials hidden", async () => {
    for (const resourceName of ["0", ""]) {
      const [result] = await describeConfigs(2, { resourceType: BROKER, resourceName, configurationKeys: null });
      assert.equal(result?.errorCode, ErrorCode.NONE);
      assert.deepEqual(result?.configs.map((c) => c.name).sort(), Object.keys(brokerDefaults).sort());
      const retention = result!.configs.find((c) => c.name === "log.retention.ms");
      assert.deepEqual(
        [retention?.value, retention?.configSource, retention?.readOnly],
        ["60000", source.staticBroker, false],
      );
      const credentials = result!.configs.find((c) => c.name === "sasl.credentials");
      assert.deepEqual([credentials?.value, credentials?.isSensitive], [null, true]);
      const partitions = result!.configs.find((c) => c.name === "num.partitions");
      assert.deepEqual(
        [partitions?.value, partitions?.configSource, partitions?.readOnly],
        [brokerDefaults["num.partitions"], source.default, true],
      );
    }
  });

  it("when resources cannot be described, then each gets its own error, answered in order", async () => {
    const results = await describeConfigs(
      0,
      { resourceType: TOPIC, resourceName: "no-such-topic", configurationKeys: null },
      { resourceType: BROKER, resourceName: "7", configurationKeys: null },
      { resourceType: 99, resourceName: "x", configurationKeys: null },
      { resourceType: TOPIC, resourceName: "compacted", configurationKeys: ["cleanup.policy"] },
    );
    assert.deepEqual(
      results.map((r) => [r.resourceName, r.errorCode, r.configs.length]),
      [
        ["no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
        ["7", ErrorCode.INVALID_REQUEST, 0],
        ["x", ErrorCode.INVALID_REQUEST, 0],
        ["compacted", ErrorCode.NONE, 1],
      ],
    );
    assert.equal(results[1]?.errorMessage, "this is broker 0");
  });
});
