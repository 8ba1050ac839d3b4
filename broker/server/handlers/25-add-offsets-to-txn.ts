import { Apis } from "../../protocol/apis.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../groups/offsets-record-format.ts";
import { producerFencedFor } from "../transactions/producer-fenced.ts";
import { defineHandler } from "./handler.ts";

/** The group's `__consumer_offsets` partition joins the transaction, so that its markers end the TxnOffsetCommits. */
export const addOffsetsToTxnHandler = defineHandler(Apis.AddOffsetsToTxn, async (request, { broker, apiVersion }) => {
  const partition = broker.groups.partitionFor(request.groupId);
  const errorCode = await broker.transactions.addPartitions(
    request.transactionalId,
    request.producerId,
    request.producerEpoch,
    new Map([[CONSUMER_OFFSETS_TOPIC, new Set([partition])]]),
  );
  return { throttleTimeMs: 0, errorCode: producerFencedFor(errorCode, apiVersion, 2) };
});
