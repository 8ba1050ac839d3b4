// Every API the broker serves, by key, and so what ApiVersions advertises: an API known to
// broker/protocol/apis.ts without a handler here is neither advertised nor served (the router drops
// a connection that sends it, as Kafka does for an API not enabled on a listener).
import { API_LIST, type ApiDefinition } from "../../protocol/apis.ts";
import type { ApiVersionsResponse } from "../../protocol/messages/index.ts";
import type { BrokerState } from "../broker-state.ts";
import { produceHandler } from "./00-produce.ts";
import { fetchHandler } from "./01-fetch.ts";
import { listOffsetsHandler } from "./02-list-offsets.ts";
import { metadataHandler } from "./03-metadata.ts";
import { offsetCommitHandler } from "./08-offset-commit.ts";
import { offsetFetchHandler } from "./09-offset-fetch.ts";
import { findCoordinatorHandler } from "./10-find-coordinator.ts";
import { joinGroupHandler } from "./11-join-group.ts";
import { heartbeatHandler } from "./12-heartbeat.ts";
import { leaveGroupHandler } from "./13-leave-group.ts";
import { syncGroupHandler } from "./14-sync-group.ts";
import { describeGroupsHandler } from "./15-describe-groups.ts";
import { listGroupsHandler } from "./16-list-groups.ts";
import { saslHandshakeHandler } from "./17-sasl-handshake.ts";
import { apiVersionsAnswer, createApiVersionsHandler } from "./18-api-versions.ts";
import { createTopicsHandler } from "./19-create-topics.ts";
import { deleteTopicsHandler } from "./20-delete-topics.ts";
import { deleteRecordsHandler } from "./21-delete-records.ts";
import { initProducerIdHandler } from "./22-init-producer-id.ts";
import { offsetForLeaderEpochHandler } from "./23-offset-for-leader-epoch.ts";
import { addPartitionsToTxnHandler } from "./24-add-partitions-to-txn.ts";
import { addOffsetsToTxnHandler } from "./25-add-offsets-to-txn.ts";
import { endTxnHandler } from "./26-end-txn.ts";
import { writeTxnMarkersHandler } from "./27-write-txn-markers.ts";
import { txnOffsetCommitHandler } from "./28-txn-offset-commit.ts";
import { describeConfigsHandler } from "./32-describe-configs.ts";
import { alterConfigsHandler } from "./33-alter-configs.ts";
import { describeLogDirsHandler } from "./35-describe-log-dirs.ts";
import { saslAuthenticateHandler } from "./36-sasl-authenticate.ts";
import { createPartitionsHandler } from "./37-create-partitions.ts";
import { deleteGroupsHandler } from "./42-delete-groups.ts";
import { createElectLeadersHandler } from "./43-elect-leaders.ts";
import { incrementalAlterConfigsHandler } from "./44-incremental-alter-configs.ts";
import { alterPartitionReassignmentsHandler } from "./45-alter-partition-reassignments.ts";
import { listPartitionReassignmentsHandler } from "./46-list-partition-reassignments.ts";
import { voteHandler } from "./52-vote.ts";
import { beginQuorumEpochHandler } from "./53-begin-quorum-epoch.ts";
import { endQuorumEpochHandler } from "./54-end-quorum-epoch.ts";
import { describeQuorumHandler } from "./55-describe-quorum.ts";
import { createAlterPartitionHandler } from "./56-alter-partition.ts";
import { describeClusterHandler } from "./60-describe-cluster.ts";
import { createBrokerRegistrationHandler } from "./62-broker-registration.ts";
import { createBrokerHeartbeatHandler } from "./63-broker-heartbeat.ts";
import { createAllocateProducerIdsHandler } from "./67-allocate-producer-ids.ts";
import { consumerGroupHeartbeatHandler } from "./68-consumer-group-heartbeat.ts";
import { consumerGroupDescribeHandler } from "./69-consumer-group-describe.ts";
import type { Handler } from "./handler.ts";

/** The controller of a KRaft voter (it answers NOT_CONTROLLER itself while not active); none elsewhere. */
const controllerOf = (broker: BrokerState) => broker.kraft?.controller;

const all: Handler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  createApiVersionsHandler(() => servedApis),
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  saslAuthenticateHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  createElectLeadersHandler(controllerOf),
  incrementalAlterConfigsHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  voteHandler,
  beginQuorumEpochHandler,
  endQuorumEpochHandler,
  describeQuorumHandler,
  createAlterPartitionHandler(controllerOf),
  describeClusterHandler,
  createBrokerRegistrationHandler(controllerOf),
  createBrokerHeartbeatHandler(controllerOf),
  createAllocateProducerIdsHandler(controllerOf),
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
];

export const handlersByKey: ReadonlyMap<number, Handler> = new Map(all.map((h) => [h.api.apiKey, h]));

/** The served APIs, ordered by key. */
export const servedApis: readonly ApiDefinition[] = API_LIST.filter((api) => handlersByKey.has(api.apiKey));

/** The ApiVersions answer: the served APIs and their ranges, with `errorCode`. */
export function supportedApiVersions(errorCode?: number): ApiVersionsResponse {
  return apiVersionsAnswer(servedApis, errorCode);
}
