// Acceptance: config alterations on a 3-broker KRaft cluster of real broker processes — sent to any
// broker (forwarded to the active controller), kept in the metadata log, and so described by every
// broker and enforced by the partition's leader.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { waitFor } from "../helpers/wait.ts";
import { requestOnce } from "../helpers/wire-client.ts";
import { errorChain, kafkaClient, quickGroupBrokerConfig } from "./helpers.ts";

const TOPIC = 2;
const BROKER = 4;
const DYNAMIC_TOPIC_CONFIG = 1;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;

describe("configs on a 3-broker cluster", () => {
  const startCluster = useClusterProcess();

  it("when each broker is asked to alter a config, then all succeed, every broker describes the changes and the leader enforces them", {
    timeout: 180_000,
  }, async () => {
    const cluster = await startCluster(3, quickGroupBrokerConfig);
    const kafka = kafkaClient(cluster.bootstrap[0]!, "cluster-configs");
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: "guarded", numPartitions: 1, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      // One change through each broker: at least two of them forward it to the active controller.
      const changes: [string, number, string, string][] = [
        ["guarded", TOPIC, "max.message.bytes", "1000"],
        ["guarded", TOPIC, "retention.ms", "3600000"],
        ["", BROKER, "log.retention.ms", "5400000"],
      ];
      for (const [i, [resourceName, resourceType, name, value]] of changes.entries()) {
        const response = await requestOnce(cluster.bootstrap[i]!, Apis.IncrementalAlterConfigs, 1, {
          validateOnly: false,
          resources: [{ resourceType, resourceName, configs: [{ name, configOperation: 0, value }] }],
        });
        assert.equal(response.responses[0]!.errorCode, ErrorCode.NONE, `${name} through broker ${i}`);
      }

      for (const [nodeId, address] of cluster.bootstrap.entries()) {
        const describe = async () => {
          const { results } = await requestOnce(address, Apis.DescribeConfigs, 2, {
            includeSynonyms: false,
            resources: [
              {
                resourceType: TOPIC,
                resourceName: "guarded",
                configurationKeys: ["max.message.bytes", "retention.ms"],
              },
              { resourceType: BROKER, resourceName: String(nodeId), configurationKeys: ["log.retention.ms"] },
            ],
          });
          return results.flatMap((r) => r.configs.map((c) => [c.name, c.value, c.configSource]));
        };
        const expected = [
          ["log.retention.ms", "5400000", DYNAMIC_DEFAULT_BROKER_CONFIG],
          ["max.message.bytes", "1000", DYNAMIC_TOPIC_CONFIG],
          ["retention.ms", "3600000", DYNAMIC_TOPIC_CONFIG],
        ];
        let seen: unknown[] = [];
        await waitFor(
          async () => {
            seen = (await describe()).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
            return JSON.stringify(seen) === JSON.stringify(expected);
          },
          { message: () => `broker ${nodeId} to describe the altered configs, saw ${JSON.stringify(seen)}` },
        );
      }

      let refused: string[] = [];
      try {
        await producer.send({ topic: "guarded", acks: -1, messages: [{ value: "x".repeat(4000) }] });
      } catch (error) {
        refused = errorChain(error).types;
      }
      assert.ok(refused.includes("MESSAGE_TOO_LARGE"), refused.join(","));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
