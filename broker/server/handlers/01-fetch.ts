// Fetch: whole batches straight from the log files, up to the high watermark; a fetch that finds
// less than min_bytes waits for appends or max_wait (see fetch/delayed-fetch.ts). A controller
// quorum replica's Fetch of `__cluster_metadata` (v12+) goes to the broker's Raft node instead.
// v13 names topics by id: they are looked up by name here, and the answer named by id again.
// A consumer's fetched bytes are counted per topic for the broker's metrics (a follower's are
// replication, which Kafka counts apart). A waiting fetch whose client has gone (its connection
// closed) stops waiting.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponse } from "../../protocol/messages/index.ts";
import { isMetadataLogFetch } from "../../raft/raft-messages.ts";
import type { BrokerMetrics } from "../admin/broker-metrics.ts";
import type { ClusterView } from "../cluster.ts";
import { fetchMessages, systemFetchExpiry } from "../fetch/delayed-fetch.ts";
import { defineHandler } from "./handler.ts";

/** From v11 a fetch carries client metadata (a rack), with which Kafka lets consumers read from followers. */
const clientMetadataSince = 11;
/** From v13 topics are named by topic id. */
const topicIdsSince = 13;

export const fetchHandler = defineHandler(Apis.Fetch, (request, { broker, apiVersion, whenClosed }) => {
  if (isMetadataLogFetch(request, apiVersion)) return broker.raft.handleFetch(request);
  const clientMetadata = apiVersion >= clientMetadataSince;
  const metrics = request.replicaId < 0 ? broker.metrics : undefined;
  const answered = (response: FetchResponse): FetchResponse => countBytesOut(response, metrics);
  if (apiVersion < topicIdsSince) {
    const answer = fetchMessages(request, broker.topics, systemFetchExpiry, clientMetadata, whenClosed);
    return answer instanceof Promise ? answer.then(answered) : answered(answer);
  }
  const { byName, topicIds } = namedByTopicName(request, broker.cluster);
  const answer = fetchMessages(byName, broker.topics, systemFetchExpiry, clientMetadata, whenClosed);
  return answer instanceof Promise
    ? answer.then((response) => namedByTopicId(answered(response), topicIds))
    : namedByTopicId(answered(answer), topicIds);
});

function countBytesOut(response: FetchResponse, metrics: BrokerMetrics | undefined): FetchResponse {
  if (metrics === undefined) return response;
  for (const topic of response.responses) {
    let bytes = 0;
    for (const { records } of topic.partitions) {
      if (Array.isArray(records)) for (const chunk of records) bytes += chunk.length;
      else bytes += records?.length ?? 0;
    }
    metrics.fetched(topic.topic, bytes);
  }
  return response;
}

function namedByTopicName(
  request: FetchRequest,
  cluster: ClusterView,
): { byName: FetchRequest; topicIds: (Buffer | null)[] } {
  const names = new Map(cluster.allTopics().map((topic) => [topic.topicId.toString("hex"), topic.name]));
  const topicIds: (Buffer | null)[] = [];
  const topics = request.topics.map((topic) => {
    const topicId = topic.topicId ?? Buffer.alloc(16);
    const name = names.get(topicId.toString("hex"));
    // An unknown id is looked up under a name no topic can have (Kafka names are [a-zA-Z0-9._-]).
    topicIds.push(name === undefined ? null : topicId);
    return { ...topic, topic: name ?? `?${topicId.toString("hex")}` };
  });
  return { byName: { ...request, topics }, topicIds };
}

/** Responses come in request order; a topic whose id was unknown answers UNKNOWN_TOPIC_ID. */
function namedByTopicId(response: FetchResponse, topicIds: (Buffer | null)[]): FetchResponse {
  return {
    ...response,
    responses: response.responses.map((topic, index) => {
      const topicId = topicIds[index] ?? null;
      if (topicId !== null) return { ...topic, topicId };
      return {
        ...topic,
        topicId: Buffer.from(topic.topic.slice(1), "hex"),
        partitions: topic.partitions.map((partition) => ({ ...partition, errorCode: ErrorCode.UNKNOWN_TOPIC_ID })),
      };
    }),
  };
}
