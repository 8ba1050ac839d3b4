import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { KafkaJSProtocolError } from "../../../../broker/client/errors.ts";
import { errorShape, rejectionOf, useAdmins } from "./fixture.ts";

describe("admin: configs", () => {
  const fx = useAdmins();

  before(async () => {
    await fx.ours.createTopics({
      topics: [{ topic: "compacted", configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
    });
  });

  it("when describing a topic's configs, then its override as a topic config and the rest as defaults, as kafkajs", async () => {
    const request = {
      resources: [{ type: 2 as const, name: "compacted", configNames: ["cleanup.policy", "retention.ms"] }],
      includeSynonyms: false,
    };
    const [ours, theirs] = await Promise.all([fx.ours.describeConfigs(request), fx.kafkajs.describeConfigs(request)]);
    assert.deepEqual(ours, theirs);
    const entries = new Map(ours.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.deepEqual(
      [
        entries.get("cleanup.policy")?.configValue,
        entries.get("cleanup.policy")?.isDefault,
        entries.get("cleanup.policy")?.configSource,
      ],
      ["compact", false, 1],
    );
    assert.deepEqual([entries.get("retention.ms")?.isDefault, entries.get("retention.ms")?.configSource], [true, 5]);
  });

  it("when describing broker configs with synonyms, then the same as kafkajs", async () => {
    const request = {
      resources: [{ type: 4 as const, name: "0", configNames: ["num.partitions", "auto.create.topics.enable"] }],
      includeSynonyms: true,
    };
    const [ours, theirs] = await Promise.all([fx.ours.describeConfigs(request), fx.kafkajs.describeConfigs(request)]);
    assert.deepEqual(ours, theirs);
    assert.equal(ours.resources[0]!.configEntries.length, 2);
  });

  it("when describing configs of an unknown topic, then UNKNOWN_TOPIC_OR_PARTITION at once, as kafkajs", async () => {
    const request = { resources: [{ type: 2 as const, name: "no-such-topic" }], includeSynonyms: false };
    const ours = await rejectionOf(fx.ours.describeConfigs(request));
    const theirs = await rejectionOf(fx.kafkajs.describeConfigs(request));
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.equal((ours as KafkaJSProtocolError).type, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("when describeConfigs gets invalid resources, then the same KafkaJSNonRetriableError as kafkajs", async () => {
    for (const resources of [[], [{ type: 3, name: "x" }], [{ type: 2, name: "" }]] as never[][]) {
      const ours = await rejectionOf(fx.ours.describeConfigs({ resources, includeSynonyms: false }));
      const theirs = await rejectionOf(fx.kafkajs.describeConfigs({ resources, includeSynonyms: false }));
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
    }
  });

  it("when altering a topic's configs, then the same answer as kafkajs and describeConfigs shows the new value as a topic config", async () => {
    await fx.ours.createTopics({ topics: [{ topic: "altered" }] });
    const request = (value: string) => ({
      validateOnly: false,
      resources: [{ type: 2 as const, name: "altered", configEntries: [{ name: "retention.ms", value }] }],
    });
    const ours = await fx.ours.alterConfigs(request("60000"));
    const theirs = await fx.kafkajs.alterConfigs(request("60000"));
    assert.deepEqual(ours, theirs);
    const described = await fx.ours.describeConfigs({
      resources: [{ type: 2, name: "altered", configNames: ["retention.ms"] }],
      includeSynonyms: false,
    });
    const entry = described.resources[0]!.configEntries[0]!;
    assert.deepEqual([entry.configValue, entry.configSource], ["60000", 1]);
  });

  it("when altering an unknown config, then INVALID_CONFIG at once, as kafkajs", async () => {
    const request = {
      validateOnly: false,
      resources: [{ type: 2 as const, name: "compacted", configEntries: [{ name: "no.such.config", value: "1" }] }],
    };
    const ours = await rejectionOf(fx.ours.alterConfigs(request));
    const theirs = await rejectionOf(fx.kafkajs.alterConfigs(request));
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.equal((ours as KafkaJSProtocolError).type, "INVALID_CONFIG");
  });

  it("when alterConfigs gets invalid resources, then the same KafkaJSNonRetriableError as kafkajs", async () => {
    const invalid = [
      [],
      [{ type: 3, name: "x", configEntries: [] }],
      [{ type: 2, name: "", configEntries: [] }],
      [{ type: 2, name: "t" }],
      [{ type: 2, name: "t", configEntries: [{ name: "retention.ms", value: 1 }] }],
    ] as never[][];
    for (const resources of invalid) {
      const ours = await rejectionOf(fx.ours.alterConfigs({ validateOnly: false, resources }));
      const theirs = await rejectionOf(fx.kafkajs.alterConfigs({ validateOnly: false, resources }));
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
    }
  });
});
