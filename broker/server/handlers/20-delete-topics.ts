import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const deleteTopicsHandler = defineHandler(Apis.DeleteTopics, (request, { broker }) => {
  if (broker.kraft) {
    return broker.kraft.forwarding.route(Apis.DeleteTopics, request, async (controller) => {
      // Deleting __consumer_offsets would lose every group's committed position.
      const internal = new Set(request.topicNames.filter((name) => broker.cluster.topic(name)?.isInternal));
      try {
        const outcomes = await controller.deleteTopics(request.topicNames.filter((name) => !internal.has(name)));
        const byName = new Map(outcomes.map((o) => [o.name, o.errorCode]));
        return {
          throttleTimeMs: 0,
          responses: request.topicNames.map((name) => ({
            name,
            errorCode: internal.has(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : (byName.get(name) ?? ErrorCode.NONE),
          })),
        };
      } catch (error) {
        const errorCode = controllerErrorCode(error);
        return { throttleTimeMs: 0, responses: request.topicNames.map((name) => ({ name, errorCode })) };
      }
    });
  }
  return {
    throttleTimeMs: 0,
    responses: request.topicNames.map((name) => {
      const topic = broker.cluster.topic(name);
      if (!topic) return { name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      // Deleting __consumer_offsets would lose every group's committed position.
      if (topic.isInternal) return { name, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
      broker.topics.delete(name);
      return { name, errorCode: ErrorCode.NONE };
    }),
  };
});
