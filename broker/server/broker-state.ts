// The domain state a broker's handlers work on, gathered in one object so that handlers depend
// on one thing and tests can build it without a socket.
import type { ClusterMetadata } from "./cluster.ts";
import type { BrokerConfig } from "./config.ts";
import type { GroupCoordinator } from "./groups/coordinator.ts";
import type { Logger } from "./logger.ts";
import type { TopicManager } from "./topics.ts";

export interface BrokerState {
  config: BrokerConfig;
  cluster: ClusterMetadata;
  topics: TopicManager;
  groups: GroupCoordinator;
  log: Logger;
}
