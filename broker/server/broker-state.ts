// The domain state a broker's handlers work on, gathered in one object so that handlers depend
// on one thing and tests can reach into it. Every broker is a member of a KRaft cluster (a lone
// broker is a quorum of one): it reads the cluster from its applied metadata image and sends every
// change to the active controller through `kraft`.
import type { RaftNode } from "../raft/raft-node.ts";
import type { BrokerMetrics } from "./admin/broker-metrics.ts";
import type { EventJournal } from "./admin/cluster-events.ts";
import type { ClusterView } from "./cluster.ts";
import type { ClusterMember } from "./cluster-member.ts";
import type { BrokerConfig } from "./config.ts";
import type { GroupCoordinator } from "./groups/coordinator.ts";
import type { Logger } from "./logger.ts";
import type { TopicAccess } from "./topics.ts";
import type { TransactionCoordinator } from "./transactions/transaction-coordinator.ts";

export interface BrokerState {
  config: BrokerConfig;
  kraft: ClusterMember;
  /** This node's replica of the `__cluster_metadata` quorum (kraft.raft; tests may put another). */
  raft: RaftNode;
  cluster: ClusterView;
  topics: TopicAccess;
  groups: GroupCoordinator;
  /** The transaction coordinator of the `__transaction_state` partitions this broker leads. */
  transactions: TransactionCoordinator;
  /**
   * Asks the controller for `__transaction_state` unless it exists or is being asked for (Kafka
   * creates it on the first FindCoordinator for a transactional id); absent in partial test states.
   */
  ensureTransactionStateTopic?: () => void;
  /** What happened in the cluster and its groups, for the admin listener's event stream. */
  events: EventJournal;
  /** The broker's Prometheus counters; absent in tests that build a partial state. */
  metrics?: BrokerMetrics;
  log: Logger;
  /**
   * Until this broker has caught up with the cluster's metadata (the controller unfenced it):
   * resolves then, and is removed. Clients' requests wait for it (request-router.ts).
   */
  catchingUp?: Promise<void>;
}
