import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defaultGroupCoordinatorConfig,
  resolveGroupCoordinatorConfig,
} from "../../../../broker/server/groups/config.ts";

describe("group coordinator config", () => {
  it("when nothing is overridden, then Kafka's defaults, except no initial rebalance delay", () => {
    assert.deepEqual(resolveGroupCoordinatorConfig(), {
      groupMinSessionTimeoutMs: 6_000,
      groupMaxSessionTimeoutMs: 1_800_000,
      groupInitialRebalanceDelayMs: 0,
      offsetMetadataMaxBytes: 4_096,
      groupMaxSize: Number.POSITIVE_INFINITY,
      offsetsTopicNumPartitions: 50,
      consumerGroupSessionTimeoutMs: 45_000,
      consumerGroupHeartbeatIntervalMs: 5_000,
      consumerGroupAssignors: ["uniform", "range"],
    });
  });

  it("when some settings are overridden, then those change and the rest keep their defaults", () => {
    const config = resolveGroupCoordinatorConfig({ groupMaxSize: 3, offsetsTopicNumPartitions: 2 });
    assert.equal(config.groupMaxSize, 3);
    assert.equal(config.offsetsTopicNumPartitions, 2);
    assert.equal(config.groupMinSessionTimeoutMs, defaultGroupCoordinatorConfig.groupMinSessionTimeoutMs);
  });

  it("when the session bounds cross or the offsets topic has no partitions, then a RangeError says which", () => {
    assert.throws(
      () => resolveGroupCoordinatorConfig({ groupMinSessionTimeoutMs: 10_000, groupMaxSessionTimeoutMs: 5_000 }),
      { name: "RangeError", message: /groupMinSessionTimeoutMs must not exceed groupMaxSessionTimeoutMs/ },
    );
    for (const offsetsTopicNumPartitions of [0, 1.5]) {
      assert.throws(() => resolveGroupCoordinatorConfig({ offsetsTopicNumPartitions }), {
        name: "RangeError",
        message: /offsetsTopicNumPartitions must be a positive integer/,
      });
    }
  });

  it("when the defaults are shared, then they cannot be changed by accident", () => {
    assert.ok(Object.isFrozen(defaultGroupCoordinatorConfig));
  });
});
