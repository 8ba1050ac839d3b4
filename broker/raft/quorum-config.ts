// The controller quorum's settings (Kafka's QuorumConfig): what a RaftNode is configured with,
// and how that comes from the broker's own config, Kafka's `controller.quorum.voters`
// (`id@host:port,...`: who votes and where they listen; parsed with the broker's config) and the
// `controller.quorum.*` timings.
// Holds no state.

import { type BrokerConfig, brokerNumber } from "../server/config.ts";
import type { QuorumTimeouts } from "./quorum-state.ts";

export interface RaftConfig extends QuorumTimeouts {
  nodeId: number;
  /** The voters' node ids (`controller.quorum.voters`); a node not among them is an observer. */
  voters: readonly number[];
  electionBackoffMaxMs: number;
  retryBackoffMs: number;
  /** How long the leader holds a fetch that finds nothing new. */
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
}

/** Kafka's defaults (`controller.quorum.*`, and its fixed fetch wait and size), for a config that names only ids. */
export const defaultRaftTimings = {
  electionTimeoutMs: 1000,
  fetchTimeoutMs: 2000,
  electionBackoffMaxMs: 1000,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 8 * 1024 * 1024,
} as const;

/** The Raft node's config for broker `config.nodeId` in a quorum of `voterIds`. */
export function raftConfigFrom(config: BrokerConfig, voterIds: Iterable<number>): RaftConfig {
  return {
    ...defaultRaftTimings,
    nodeId: config.nodeId,
    voters: [...voterIds].sort((a, b) => a - b),
    electionTimeoutMs: brokerNumber(config, "controller.quorum.election.timeout.ms"),
    fetchTimeoutMs: brokerNumber(config, "controller.quorum.fetch.timeout.ms"),
    electionBackoffMaxMs: brokerNumber(config, "controller.quorum.election.backoff.max.ms"),
    retryBackoffMs: brokerNumber(config, "controller.quorum.retry.backoff.ms"),
  };
}

/** The request timeout for the quorum's channel (`controller.quorum.request.timeout.ms`). */
export function quorumRequestTimeoutMs(config: BrokerConfig): number {
  return brokerNumber(config, "controller.quorum.request.timeout.ms");
}
