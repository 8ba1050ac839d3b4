import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const deleteTopicsHandler = defineHandler(Apis.DeleteTopics, (request, { broker }) => ({
  throttleTimeMs: 0,
  responses: request.topicNames.map((name) => {
    const topic = broker.cluster.topic(name);
    if (!topic) return { name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    // Deleting __consumer_offsets would lose every group's committed position.
    if (topic.isInternal) return { name, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
    broker.topics.delete(name);
    return { name, errorCode: ErrorCode.NONE };
  }),
}));
