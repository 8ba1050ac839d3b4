// What the admin listener answers about this broker, the replicas it hosts and the controller
// quorum (admin-types.ts has the shapes): read at the moment of asking from the broker's state,
// each number as this broker's own replica or Raft node holds it. Offsets become decimal strings.
// No state of its own.
import type { BrokerState } from "../broker-state.ts";
import { voterIds } from "../config.ts";
import type { Partition } from "../partition.ts";
import type { BrokerInfo, HostedPartition, QuorumInfo } from "./admin-types.ts";

/** The topic configs a partition view lists, Kafka's names. */
const shownTopicConfigs = ["retention.ms", "retention.bytes", "cleanup.policy", "segment.bytes"];

export interface BrokerIdentity {
  /** host:port the Kafka listener is bound to. */
  listener: string;
  startedAt: number;
}

export function brokerInfo(state: BrokerState, identity: BrokerIdentity): BrokerInfo {
  const { kraft, config } = state;
  return {
    nodeId: config.nodeId,
    clusterId: kraft.clusterId,
    listener: identity.listener,
    voter: voterIds(config).includes(config.nodeId),
    activeController: kraft.controller?.isActive ?? false,
    startedAt: identity.startedAt,
    unfenced: kraft.lifecycle.phase === "running",
  };
}

/** Every replica hosted here, leader or follower, by topic then partition. */
export function hostedPartitions(state: BrokerState): HostedPartition[] {
  return state.topics
    .allPartitions()
    .map((partition) => hostedPartition(state, partition))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

function hostedPartition(state: BrokerState, partition: Partition): HostedPartition {
  const replication = partition.replication;
  const log = partition.log;
  const topic = state.cluster.topic(partition.topic);
  const registration = topic?.partitions.find((p) => p.partition === partition.index);
  const view: HostedPartition = {
    topic: partition.topic,
    partition: partition.index,
    role: replication.isLeader ? "leader" : "follower",
    leader: replication.leaderId,
    leaderEpoch: replication.leaderEpoch,
    replicas: [...replication.replicas],
    // A leader knows its ISR first (the controller's answer comes before the metadata); a follower has only the metadata's.
    isr: replication.isLeader ? [...replication.isr] : [...(registration?.isr ?? [])],
    logStartOffset: String(log.logStartOffset),
    logEndOffset: String(log.logEndOffset),
    highWatermark: String(log.highWatermark),
    segments: log.segments.length,
    bytes: log.size,
    configs:
      topic === undefined
        ? {}
        : Object.fromEntries(shownTopicConfigs.map((name) => [name, state.topics.topicConfig(topic, name)])),
  };
  if (replication.isLeader) {
    view.followers = replication.replicas
      .filter((id) => id !== state.config.nodeId)
      .map((id) => {
        const follower = replication.follower(id)?.state;
        return {
          broker: id,
          logEndOffset: String(follower?.logEndOffset ?? -1n),
          lastCaughtUpMs: follower?.lastCaughtUpTimeMs ?? 0,
        };
      });
  }
  return view;
}

/**
 * The quorum as this broker's Raft node knows it. The voters' progress is known on the leader only
 * (DescribeQuorum's rule); elsewhere their offsets and lag are null.
 */
export function quorumInfo(state: BrokerState): QuorumInfo {
  const { raft, kraft } = state;
  const described = raft.describe().topics[0]?.partitions[0];
  const progress = new Map((described?.currentVoters ?? []).map((voter) => [voter.replicaId, voter]));
  const leaderEnd = raft.logEndOffset;
  return {
    leaderId: raft.leaderId,
    leaderEpoch: raft.epoch,
    highWatermark: String(raft.highWatermark),
    voters: voterIds(state.config).map((id) => {
      const voter = raft.isLeader ? progress.get(id) : undefined;
      if (voter === undefined) return { id, logEndOffset: null, lagRecords: null, lastFetchMs: null };
      const lag = leaderEnd - voter.logEndOffset;
      const lastFetch = Number(voter.lastFetchTimestamp ?? -1n);
      return {
        id,
        logEndOffset: String(voter.logEndOffset),
        lagRecords: String(lag > 0n ? lag : 0n),
        lastFetchMs: lastFetch >= 0 ? lastFetch : null,
      };
    }),
    brokers: [...kraft.loader.image.brokers.values()]
      .map((broker) => ({
        id: broker.id,
        host: broker.host,
        port: broker.port,
        fenced: broker.fenced,
        incarnationId: broker.incarnationId.toString("hex"),
      }))
      .sort((a, b) => a.id - b.id),
  };
}
