import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from "../../protocol/messages/index.ts";
import { brokersOnListener, type TopicState } from "../cluster.ts";
import { defineHandler, type RequestContext } from "./handler.ts";

export function describeTopic(topic: TopicState): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: [],
    })),
  };
}

export const metadataHandler = defineHandler(Apis.Metadata, (request, context) => {
  const { broker, apiVersion } = context;
  // v0 has no null: an empty list means every topic there.
  const all = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
  // Before v4 the request has no flag and the broker setting alone decides.
  const mayCreate = apiVersion < 4 || request.allowAutoTopicCreation;
  const missing =
    all || !mayCreate
      ? []
      : request.topics!.flatMap(({ name }) => (name === null || broker.cluster.topic(name) ? [] : [name]));
  // Topics asked for and missing are created first, so the answer describes them.
  if (missing.length > 0)
    return broker.topics.awaitCreation(missing).then(() => answer(request, context, all, mayCreate));
  return answer(request, context, all, mayCreate);
});

function answer(
  request: MetadataRequest,
  { broker, listener }: RequestContext,
  all: boolean,
  mayCreate: boolean,
): MetadataResponse {
  const { cluster, topics } = broker;
  const described: MetadataResponseTopic[] = all
    ? cluster.allTopics().map(describeTopic)
    : request.topics!.map(({ name, topicId }) => {
        // v12 may name a topic by its id alone; nothing is created for an id.
        if (name === null) {
          const byId = topicId === undefined ? undefined : cluster.allTopics().find((t) => t.topicId.equals(topicId));
          if (byId) return describeTopic(byId);
          // Kafka answers a null name here; "" keeps names strings for the clients that read them.
          return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: "", topicId, isInternal: false, partitions: [] };
        }
        const existing = cluster.topic(name);
        if (existing) return describeTopic(existing);
        const created = mayCreate ? topics.autoCreate(name) : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        return "errorCode" in created
          ? { errorCode: created.errorCode, name, isInternal: false, partitions: [] }
          : describeTopic(created);
      });
  return {
    throttleTimeMs: 0,
    brokers: brokersOnListener(cluster.brokers, listener).map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
    })),
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    topics: described,
  };
}
