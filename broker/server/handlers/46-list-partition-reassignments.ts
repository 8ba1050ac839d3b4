// ListPartitionReassignments (46, KIP-455): the active controller lists the partitions being moved
// (of every topic when the request names none), each with its replicas and the ones being added
// and removed; any other broker forwards the request and relays the answer.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const listPartitionReassignmentsHandler = defineHandler(
  Apis.ListPartitionReassignments,
  (request, { broker }) => {
    const refused = (errorCode: number, errorMessage: string | null = null) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      topics: [],
    });
    return broker.kraft.forwarding.route(
      Apis.ListPartitionReassignments,
      request,
      async (controller) => {
        try {
          const topics = await controller.listPartitionReassignments(request.topics);
          return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics };
        } catch (error) {
          return refused(controllerErrorCode(error), error instanceof Error ? error.message : null);
        }
      },
      { timeoutMs: request.timeoutMs, answer: refused },
    );
  },
);
