import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const initProducerIdHandler = defineHandler(Apis.InitProducerId, (request, { broker }) => {
  // Idempotence only: there is no transaction coordinator to bind a transactional id to.
  if (request.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    producerId: broker.cluster.allocateProducerId(),
    producerEpoch: 0,
  };
});
