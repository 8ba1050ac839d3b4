// The domain state a broker's handlers work on, gathered in one object so that handlers depend
// on one thing and tests can build it without a socket. A lone broker keeps its metadata itself
// (cluster.ts, topics.ts); a broker of a KRaft cluster reads it from the applied metadata image and
// sends every change to the active controller (`kraft`). Handlers that change topics tell the two
// apart by `kraft`; the others read both alike.
import type { RaftNode } from "../raft/raft-node.ts";
import type { ClusterMetadata, ClusterView } from "./cluster.ts";
import type { ClusterMember } from "./cluster-member.ts";
import type { BrokerConfig } from "./config.ts";
import type { GroupCoordinator } from "./groups/coordinator.ts";
import type { Logger } from "./logger.ts";
import type { TopicAccess, TopicManager } from "./topics.ts";

interface CommonState {
  config: BrokerConfig;
  /** This node's replica of the `__cluster_metadata` quorum (a cluster's brokers have one). */
  raft?: RaftNode;
  groups: GroupCoordinator;
  log: Logger;
}

export interface SingleNodeState extends CommonState {
  kraft?: undefined;
  cluster: ClusterMetadata;
  topics: TopicManager;
}

export interface ClusterNodeState extends CommonState {
  kraft: ClusterMember;
  cluster: ClusterView;
  topics: TopicAccess;
}

export type BrokerState = SingleNodeState | ClusterNodeState;
