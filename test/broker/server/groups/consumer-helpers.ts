// Steps the consumer-protocol (KIP-848) group tests share: a coordinator on hand-driven time over a
// settable list of topics, and ConsumerGroupHeartbeat requests with a joining member's defaults.

import type { EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import type { GroupCoordinatorConfig } from "../../../../broker/server/groups/config.ts";
import type { SubscribableTopic } from "../../../../broker/server/groups/consumer-group.ts";
import type { ConsumerGroupHeartbeatRequest } from "../../../../broker/server/groups/consumer-group-heartbeat.ts";
import { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import { ManualScheduler, MemoryOffsetsLog } from "./helpers.ts";

export const ORDERS_ID = Buffer.alloc(16, 1);

export function topic(name: string, partitionCount: number, fill: number): SubscribableTopic {
  return { name, topicId: Buffer.alloc(16, fill), partitionCount, isInternal: false };
}

/** A loaded coordinator on hand-driven time over a settable list of topics. */
export async function startConsumerCoordinator(config: Partial<GroupCoordinatorConfig> = {}, events?: EventJournal) {
  const scheduler = new ManualScheduler();
  const cluster = { topics: [topic("orders", 4, 1)] };
  const coordinator = new GroupCoordinator({
    offsetsLog: new MemoryOffsetsLog(),
    scheduler,
    config: { groupMinSessionTimeoutMs: 1_000, consumerGroupHeartbeatIntervalMs: 1_000, ...config },
    subscribableTopics: () => cluster.topics,
    ...(events === undefined ? {} : { events }),
  });
  await coordinator.load();
  return { coordinator, scheduler, cluster };
}

export function heartbeatOf(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
  return {
    groupId: "orders-group",
    memberId: "m1",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: "till",
    clientHost: "/127.0.0.1",
    apiVersion: 1,
    ...overrides,
  };
}
