import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { producerFencedFor } from "../transactions/producer-fenced.ts";
import { defineHandler } from "./handler.ts";

export const initProducerIdHandler = defineHandler(Apis.InitProducerId, async (request, { broker, apiVersion }) => {
  const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  if (request.transactionalId !== null) {
    // v3+ may name the producer id and epoch the client has (KIP-360); -1 means a fresh start.
    const expected =
      apiVersion >= 3 && request.producerId !== -1n
        ? { producerId: request.producerId, producerEpoch: request.producerEpoch }
        : undefined;
    const result = await broker.transactions.initProducerId(
      request.transactionalId,
      request.transactionTimeoutMs,
      expected,
    );
    return {
      throttleTimeMs: 0,
      errorCode: producerFencedFor(result.errorCode, apiVersion, 4),
      producerId: result.producerId,
      producerEpoch: result.producerEpoch,
    };
  }
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
