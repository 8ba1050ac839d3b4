import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { MAX_NEW_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from "../topics.ts";
import { defineHandler } from "./handler.ts";

export const createPartitionsHandler = defineHandler(Apis.CreatePartitions, (request, { broker }) => {
  let added = 0;
  for (const wanted of request.topics) added += broker.topics.partitionsToAdd(wanted.name, wanted.count);
  const tooMany = added > MAX_NEW_PARTITIONS_PER_REQUEST;
  return {
    throttleTimeMs: 0,
    results: request.topics.map((wanted) => {
      const refused = tooMany ? TOO_MANY_PARTITIONS : broker.topics.checkGrow(wanted.name, wanted.count);
      if (refused) return { name: wanted.name, errorCode: refused.errorCode, errorMessage: refused.errorMessage };
      if (!request.validateOnly) broker.topics.grow(wanted.name, wanted.count);
      return { name: wanted.name, errorCode: ErrorCode.NONE, errorMessage: null };
    }),
  };
});
