import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const initProducerIdHandler = defineHandler(Apis.InitProducerId, async (request, { broker }) => {
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  // Idempotence only: there is no transaction coordinator to bind a transactional id to.
  if (request.transactionalId !== null) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  let producerId: bigint;
  // Brokers take ids from blocks the controller hands out, so no two give one id twice.
  try {
    producerId = await broker.kraft.producerIds.next();
  } catch (error) {
    broker.log.warn("no producer id block from the controller", {
      error: error instanceof Error ? error.message : String(error),
    });
    // Retriable: the client asks again, as when Kafka's broker waits for its next block.
    return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
});
