// The topics of a cluster's broker as its handlers see them: partitions are the hosted replicas, topics
// those of the applied metadata image, and a missing topic is asked of the active controller (a real
// QuorumController on a real socket, through the real channel) while the request that missed it gets
// LEADER_NOT_AVAILABLE.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { ClusterTopics, type HostedPartitions } from "../../../broker/server/cluster-topics.ts";
import { parseArgs } from "../../../broker/server/config.ts";
import { ImageClusterView } from "../../../broker/server/metadata/image-cluster-view.ts";
import { NodeToControllerChannel } from "../../../broker/server/node-to-controller-channel.ts";
import type { Partition } from "../../../broker/server/partition.ts";
import { waitFor } from "../../helpers/wait.ts";
import { type ControllerNode, recordingLogger, registerLiveBroker, startControllerNode } from "./controller-node.ts";

const noReplicas: HostedPartitions = { partition: () => undefined, allPartitions: () => [] };

/** ClusterTopics of broker 0, whose image is the controller node's committed one. */
function topicsOf(
  t: TestContext,
  node: ControllerNode,
  { props = {} as Record<string, string>, replicas = noReplicas, requestTimeoutMs = 5_000 } = {},
) {
  const log = recordingLogger();
  const channel = new NodeToControllerChannel({
    localId: 0,
    voters: [node.address],
    quorum: { leaderId: node.address.nodeId, onLeaderChange: () => () => {} },
    requestTimeoutMs,
    retryBackoffMs: 10,
    log,
  });
  t.after(() => channel.close());
  const config = parseArgs(Object.entries(props).flatMap(([key, value]) => ["--config", `${key}=${value}`]));
  const view = new ImageClusterView(node.loader, "cluster-a", () => node.address.nodeId);
  return { topics: new ClusterTopics(config, view, replicas, channel, log), view, log };
}

describe("ClusterTopics", () => {
  it("when a topic is missing, then the request gets LEADER_NOT_AVAILABLE, the controller is asked once with its defaults, and the topic follows", async (t) => {
    const node = await startControllerNode(t, { config: { defaultPartitions: 3 } });
    await registerLiveBroker(node, 0);
    const { topics, view } = topicsOf(t, node);

    const first = topics.autoCreate("orders");
    const again = topics.autoCreate("orders");

    assert.equal((first as { errorCode: number }).errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
    assert.equal((again as { errorCode: number }).errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
    await waitFor(() => view.topic("orders") !== undefined, { message: "the topic is created" });
    assert.equal(node.count("CreateTopics"), 1);
    const created = topics.autoCreate("orders");
    assert.equal(created, view.topic("orders"), "an existing topic is given as it is");
    assert.equal(view.topic("orders")!.partitions.length, 3, "the controller's num.partitions");
    assert.equal(node.count("CreateTopics"), 1);
  });

  it("when automatic creation is off, then a missing topic is UNKNOWN_TOPIC_OR_PARTITION and nothing is asked", async (t) => {
    const node = await startControllerNode(t);
    const { topics } = topicsOf(t, node, { props: { "auto.create.topics.enable": "false" } });

    assert.deepEqual(topics.autoCreate("orders"), {
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: "topic orders does not exist",
    });
    assert.equal(node.count("CreateTopics"), 0);
  });

  it("when the name is not a legal topic name, then its error comes back and nothing is asked", async (t) => {
    const node = await startControllerNode(t);
    const { topics } = topicsOf(t, node);

    assert.equal(
      (topics.autoCreate("no spaces") as { errorCode: number }).errorCode,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    assert.equal(node.count("CreateTopics"), 0);
  });

  it("when the controller refuses the topic, then the log says why and the next miss asks again", async (t) => {
    const node = await startControllerNode(t); // no broker registered: no replica can be placed
    const { topics, log } = topicsOf(t, node);

    topics.autoCreate("orders");
    await waitFor(() => log.lines.some((line) => line.message === "automatic topic creation refused"), {
      message: "the refusal is logged",
    });
    const refusal = log.lines.find((line) => line.message === "automatic topic creation refused")!;
    assert.deepEqual(refusal.fields, { topic: "orders", errorCode: ErrorCode.INVALID_REPLICATION_FACTOR });

    await waitFor(
      () => {
        topics.autoCreate("orders");
        return node.count("CreateTopics") >= 2;
      },
      { message: "asked again" },
    );
  });

  it("when no controller answers, then the log says the creation failed", async (t) => {
    const node = await startControllerNode(t);
    await node.stop();
    const { topics, log } = topicsOf(t, node, { requestTimeoutMs: 50 });

    topics.autoCreate("orders");

    await waitFor(() => log.lines.some((line) => line.message === "automatic topic creation failed"), {
      message: "the failure is logged",
    });
  });

  it("when a topic-level config is read, then the topic's own value wins over the broker's default", async (t) => {
    const node = await startControllerNode(t);
    await registerLiveBroker(node, 0);
    const { topics, view } = topicsOf(t, node, { props: { "min.insync.replicas": "2" } });
    await node.controller.createTopics(
      [
        { name: "plain", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        {
          name: "strict",
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: "min.insync.replicas", value: "1" }],
        },
      ],
      false,
    );

    assert.equal(topics.topicConfig(view.topic("plain")!, "min.insync.replicas"), "2");
    assert.equal(topics.topicConfig(view.topic("strict")!, "min.insync.replicas"), "1");
  });

  it("when partitions are asked for, then they are the replicas this broker hosts", async (t) => {
    const node = await startControllerNode(t);
    const hosted = { topic: "orders", index: 1 } as unknown as Partition;
    const { topics } = topicsOf(t, node, {
      replicas: {
        partition: (topic, index) => (topic === "orders" && index === 1 ? hosted : undefined),
        allPartitions: () => [hosted],
      },
    });

    assert.equal(topics.partition("orders", 1), hosted);
    assert.equal(topics.partition("orders", 0), undefined);
    assert.deepEqual(topics.allPartitions(), [hosted]);
  });
});
