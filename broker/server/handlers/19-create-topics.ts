// CreateTopics (19): the active controller creates the topics (placement, validation, one metadata
// record batch); any other broker forwards the request to it and relays the answer.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const createTopicsHandler = defineHandler(Apis.CreateTopics, (request, { broker }) => {
  const refused = (errorCode: number, errorMessage: string | null = null) => ({
    throttleTimeMs: 0,
    topics: request.topics.map(({ name }) => ({ name, errorCode, errorMessage })),
  });
  return broker.kraft.forwarding.route(
    Apis.CreateTopics,
    request,
    async (controller) => {
      try {
        const results = await controller.createTopics(request.topics, request.validateOnly);
        return {
          throttleTimeMs: 0,
          topics: results.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage })),
        };
      } catch (error) {
        return refused(controllerErrorCode(error));
      }
    },
    { timeoutMs: request.timeoutMs, answer: refused },
  );
});
