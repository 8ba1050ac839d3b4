// The cluster view merges the brokers' admin readings: a broker's status from whether it answered,
// whether it is fenced and whether the console paused it; per partition the leader's own view
// (not a stale former leader's), and each replica's own log end offset, or the leader's view of it
// when that replica does not answer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BrokerReading } from "../../../apps/console/admin-poller.ts";
import { clusterView } from "../../../apps/console/cluster-view.ts";
import type { HostedPartition, QuorumInfo } from "../../../broker/server/admin/admin-types.ts";

const quorum: QuorumInfo = {
  leaderId: 0,
  leaderEpoch: 3,
  highWatermark: "40",
  voters: [0, 1, 2].map((id) => ({ id, logEndOffset: "40", lagRecords: "0", lastFetchMs: 1 })),
  brokers: [0, 1, 2].map((id) => ({ id, host: "127.0.0.1", port: 9092 + id, fenced: id === 2 })),
};

function hosted(broker: number, overrides: Partial<HostedPartition>): HostedPartition {
  return {
    topic: "t",
    partition: 0,
    role: "follower",
    leader: 0,
    leaderEpoch: 1,
    replicas: [0, 1, 2],
    isr: [0, 1, 2],
    logStartOffset: "0",
    logEndOffset: "10",
    highWatermark: "10",
    segments: 1,
    bytes: 100 + broker,
    configs: { "retention.ms": "1000" },
    ...overrides,
  };
}

function reading(nodeId: number, answered: boolean, partitions: HostedPartition[] = []): BrokerReading {
  return {
    broker: { nodeId, label: `broker-${nodeId}`, listener: `127.0.0.1:${9092 + nodeId}`, admin: `http://a:${nodeId}` },
    at: 0,
    answered,
    info: answered
      ? {
          nodeId,
          clusterId: "c",
          listener: `127.0.0.1:${9092 + nodeId}`,
          voter: nodeId < 3,
          activeController: nodeId === 0,
          startedAt: 0,
          unfenced: true,
        }
      : null,
    partitions,
    groups: [],
    quorum: answered ? quorum : null,
  };
}

describe("clusterView", () => {
  it("when brokers answer, stay silent or were paused, then each gets its status, the controller and its pid", () => {
    const view = clusterView([reading(0, true), reading(1, false), reading(2, true), reading(3, false)], (label) =>
      label === "broker-1"
        ? { pid: 11, paused: true }
        : label === "broker-3"
          ? { pid: null, paused: false }
          : undefined,
    );
    assert.deepEqual(
      view.brokers.map(({ id, status, controller, voter, pid }) => ({ id, status, controller, voter, pid })),
      [
        { id: 0, status: "up", controller: true, voter: true, pid: null },
        { id: 1, status: "paused", controller: false, voter: true, pid: 11 },
        { id: 2, status: "fenced", controller: false, voter: true, pid: null },
        { id: 3, status: "down", controller: false, voter: false, pid: null },
      ],
    );
    assert.equal(view.quorum, quorum);
  });

  it("when the leader and a follower report a partition, then the leader's view wins and each replica shows its own offsets", () => {
    const view = clusterView([
      reading(0, true, [
        hosted(0, {
          role: "leader",
          leaderEpoch: 2,
          isr: [0, 1],
          logEndOffset: "12",
          highWatermark: "9",
          followers: [
            { broker: 1, logEndOffset: "9", lastCaughtUpMs: 1 },
            { broker: 2, logEndOffset: "4", lastCaughtUpMs: 1 },
          ],
        }),
      ]),
      // A former leader cut off still says it leads, at an older epoch; and broker 1 is a follower.
      reading(1, true, [hosted(1, { logEndOffset: "10", highWatermark: "8", leaderEpoch: 2 })]),
      reading(2, false),
      reading(3, true, [hosted(3, { role: "leader", leader: 3, leaderEpoch: 1, isr: [3] })]),
    ]);
    const [topic] = view.topics;
    assert.equal(topic?.name, "t");
    assert.deepEqual(topic.configs, { "retention.ms": "1000" });
    assert.deepEqual(topic.partitions, [
      {
        partition: 0,
        leader: 0,
        leaderEpoch: 2,
        replicas: [0, 1, 2],
        isr: [0, 1],
        underReplicated: true,
        logStartOffset: "0",
        highWatermark: "9",
        bytes: 100,
        segments: 1,
        replicaOffsets: [
          { broker: 0, logEndOffset: "12", highWatermark: "9" },
          { broker: 1, logEndOffset: "10", highWatermark: "8" },
          { broker: 2, logEndOffset: "4", highWatermark: null },
        ],
      },
    ]);
  });

  it("when no broker answers, then there are no topics and no quorum", () => {
    const view = clusterView([reading(0, false)]);
    assert.deepEqual(view.topics, []);
    assert.equal(view.quorum, null);
    assert.equal(view.brokers[0]?.status, "down");
  });

  it("when a topic is internal, then it says so", () => {
    const view = clusterView([reading(0, true, [hosted(0, { topic: "__consumer_offsets", role: "leader" })])]);
    assert.equal(view.topics[0]?.internal, true);
  });
});
