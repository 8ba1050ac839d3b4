import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { BrokerConfig } from "../../../broker/server/config.ts";
import { brokerDefaults } from "../../../broker/server/config.ts";
import {
  brokerConfigValue,
  ConfigResourceType,
  ConfigSource,
  checkBrokerConfig,
  checkTopicConfig,
  dynamicBrokerValue,
  effectiveValueIn,
  isListConfig,
  isSensitiveBrokerConfig,
  topicConfigValue,
} from "../../../broker/server/dynamic-configs.ts";
import { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";

const configOf = (props: Record<string, string> = {}, nodeId = 0): BrokerConfig => ({
  host: "127.0.0.1",
  port: 0,
  nodeId,
  dataDir: "/unused",
  props: new Map(Object.entries(props)),
});

const imageWith = (
  brokerConfigs: Record<string, Record<string, string>> = {},
  topicConfigs: Record<string, Record<string, string>> = {},
): MetadataImage => {
  const maps = (o: Record<string, Record<string, string>>) =>
    new Map(Object.entries(o).map(([name, configs]) => [name, new Map(Object.entries(configs))]));
  return MetadataImage.EMPTY.with({ brokerConfigs: maps(brokerConfigs), topicConfigs: maps(topicConfigs) });
};

describe("dynamic configs", () => {
  it("when a topic config is checked, then unknown names and bad or out-of-range values are INVALID_CONFIG and good ones pass", () => {
    assert.equal(checkTopicConfig("retention.ms", "1000"), null);
    assert.equal(checkTopicConfig("cleanup.policy", "compact"), null);
    const unknown = checkTopicConfig("no.such.config", "1");
    assert.deepEqual(unknown, {
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Unknown topic config name: no.such.config",
    });
    for (const [name, value] of [
      ["retention.ms", "soon"],
      ["min.insync.replicas", "0"],
      ["max.message.bytes", "-1"],
      ["segment.bytes", "1"],
    ] as const) {
      const error = checkTopicConfig(name, value);
      assert.equal(error?.errorCode, ErrorCode.INVALID_CONFIG, `${name}=${value}`);
      assert.match(error?.errorMessage ?? "", new RegExp(`Invalid value ${value} for configuration ${name}`));
    }
  });

  it("when a broker config is checked, then unknown is INVALID_CONFIG, a start-only one INVALID_REQUEST, and a dynamic one is checked as the topic config it defaults", () => {
    assert.equal(checkBrokerConfig("no.such.property", "1")?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.deepEqual(checkBrokerConfig("num.partitions", "3"), {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: "Cannot update these configs dynamically: Set(num.partitions)",
    });
    assert.equal(checkBrokerConfig("min.insync.replicas", "2")?.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(checkBrokerConfig("log.retention.ms", "60000"), null);
    assert.equal(checkBrokerConfig("message.max.bytes", "2048"), null);
    const bad = checkBrokerConfig("log.retention.ms", "soon");
    assert.equal(bad?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(bad?.errorMessage ?? "", /Invalid value soon for configuration log\.retention\.ms/);
  });

  it("when a broker property is read, then this broker's dynamic value wins over the cluster-wide one, then the command line, then the default, each with its source", () => {
    const config = configOf({ "log.retention.ms": "5000", "log.segment.bytes": "4096" }, 3);
    const image = imageWith({
      "3": { "log.retention.ms": "7000" },
      "": { "log.retention.ms": "9000", "log.roll.ms": "100" },
      "4": { "log.segment.bytes": "1" },
    });
    assert.deepEqual(brokerConfigValue(config, image, "log.retention.ms"), {
      value: "7000",
      source: ConfigSource.DYNAMIC_BROKER_CONFIG,
    });
    assert.deepEqual(brokerConfigValue(config, image, "log.roll.ms"), {
      value: "100",
      source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    });
    // Another broker's own value is not this one's.
    assert.deepEqual(brokerConfigValue(config, image, "log.segment.bytes"), {
      value: "4096",
      source: ConfigSource.STATIC_BROKER_CONFIG,
    });
    assert.deepEqual(brokerConfigValue(config, image, "num.partitions"), {
      value: brokerDefaults["num.partitions"],
      source: ConfigSource.DEFAULT_CONFIG,
    });
    assert.equal(dynamicBrokerValue(image, 3, "log.segment.bytes"), undefined);
  });

  it("when a topic config is read, then the topic's own value wins, else its broker property's with that source", () => {
    const config = configOf({ "log.retention.ms": "5000" });
    const image = imageWith({ "": { "log.cleanup.policy": "compact" } }, { orders: { "retention.ms": "1000" } });
    assert.deepEqual(topicConfigValue(config, image, "orders", "retention.ms"), {
      value: "1000",
      source: ConfigSource.DYNAMIC_TOPIC_CONFIG,
    });
    assert.deepEqual(topicConfigValue(config, image, "other", "retention.ms"), {
      value: "5000",
      source: ConfigSource.STATIC_BROKER_CONFIG,
    });
    assert.deepEqual(topicConfigValue(config, image, "orders", "cleanup.policy"), {
      value: "compact",
      source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    });
  });

  it("when the effective value of a resource's config is asked, then the named broker's or cluster-wide dynamic value, else this node's static one, and empty for unknown names", () => {
    const config = configOf({ "log.cleanup.policy": "compact" }, 0);
    const image = imageWith(
      { "1": { "log.cleanup.policy": "delete,compact" } },
      { orders: { "cleanup.policy": "delete" } },
    );
    const effective = effectiveValueIn(config, image);
    assert.equal(effective(ConfigResourceType.TOPIC, "orders", "cleanup.policy"), "delete");
    assert.equal(effective(ConfigResourceType.TOPIC, "other", "cleanup.policy"), "compact");
    assert.equal(effective(ConfigResourceType.TOPIC, "orders", "no.such.config"), "");
    assert.equal(effective(ConfigResourceType.BROKER, "1", "log.cleanup.policy"), "delete,compact");
    assert.equal(effective(ConfigResourceType.BROKER, "0", "log.cleanup.policy"), "compact");
    assert.equal(
      effective(ConfigResourceType.BROKER, "0", "log.retention.bytes"),
      brokerDefaults["log.retention.bytes"],
    );
    assert.equal(effective(ConfigResourceType.BROKER, "0", "no.such.property"), "");
  });

  it("when configs are classified, then only cleanup policies are lists and only the credentials are sensitive", () => {
    assert.deepEqual(
      [isListConfig("cleanup.policy"), isListConfig("log.cleanup.policy"), isListConfig("retention.ms")],
      [true, true, false],
    );
    assert.deepEqual(
      [isSensitiveBrokerConfig("sasl.credentials"), isSensitiveBrokerConfig("log.retention.ms")],
      [true, false],
    );
  });
});
