import { Apis } from "../../protocol/apis.ts";
import { producerFencedFor } from "../transactions/producer-fenced.ts";
import { defineHandler } from "./handler.ts";

export const endTxnHandler = defineHandler(Apis.EndTxn, async (request, { broker, apiVersion }) => {
  const errorCode = await broker.transactions.endTransaction(
    request.transactionalId,
    request.producerId,
    request.producerEpoch,
    request.committed,
  );
  return { throttleTimeMs: 0, errorCode: producerFencedFor(errorCode, apiVersion, 2) };
});
