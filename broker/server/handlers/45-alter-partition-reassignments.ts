// AlterPartitionReassignments (45, KIP-455): the active controller starts, replaces or cancels
// (replicas null) each partition's reassignment (controller/partition-reassignment.ts); any other
// broker forwards the request and relays the answer. A failure of the whole request (no controller)
// is the top-level error code.
import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const alterPartitionReassignmentsHandler = defineHandler(
  Apis.AlterPartitionReassignments,
  (request, { broker }) => {
    const refused = (errorCode: number, errorMessage: string | null = null) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      responses: [],
    });
    return broker.kraft.forwarding.route(
      Apis.AlterPartitionReassignments,
      request,
      async (controller) => {
        try {
          const responses = await controller.alterPartitionReassignments(request.topics);
          return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
        } catch (error) {
          return refused(controllerErrorCode(error), error instanceof Error ? error.message : null);
        }
      },
      { timeoutMs: request.timeoutMs, answer: refused },
    );
  },
);
