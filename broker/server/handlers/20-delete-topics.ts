// DeleteTopics (20): the active controller removes the topics (every broker then deletes its
// replicas' logs); any other broker forwards the request. __consumer_offsets is refused: deleting
// it would lose every group's committed position.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const deleteTopicsHandler = defineHandler(Apis.DeleteTopics, (request, { broker }) => {
  const refused = (errorCode: number) => ({
    throttleTimeMs: 0,
    responses: request.topicNames.map((name) => ({ name, errorCode })),
  });
  return broker.kraft.forwarding.route(
    Apis.DeleteTopics,
    request,
    async (controller) => {
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
        return refused(controllerErrorCode(error));
      }
    },
    { timeoutMs: request.timeoutMs, answer: refused },
  );
});
