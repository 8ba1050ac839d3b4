// The controller quorum's settings (Kafka's QuorumConfig): what a RaftNode is configured with,
// and how that comes from the broker's own config, Kafka's `controller.quorum.voters`
// (`id@host:port,...`: who votes and where they listen) and the `controller.quorum.*` timings.
// Holds no state.

import { type BrokerConfig, brokerNumber, ConfigError } from "../server/config.ts";
import type { QuorumTimeouts } from "./quorum-state.ts";
import type { RaftEndpoint } from "./raft-channel.ts";

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

const VOTER = /^(\d+)@(.+):(\d+)$/;

/** Parses `0@127.0.0.1:9092,1@127.0.0.1:9093`; throws ConfigError naming the bad entry. */
export function parseQuorumVoters(text: string): Map<number, RaftEndpoint> {
  const voters = new Map<number, RaftEndpoint>();
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const match = VOTER.exec(entry);
    const port = match === null ? Number.NaN : Number(match[3]);
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError(`controller.quorum.voters entry "${entry}" is not id@host:port`);
    }
    const id = Number(match[1]);
    if (voters.has(id)) throw new ConfigError(`controller.quorum.voters names node ${id} twice`);
    voters.set(id, { host: match[2]!, port });
  }
  if (voters.size === 0) throw new ConfigError("controller.quorum.voters names no voter");
  return voters;
}

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
