import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const createPartitionsHandler = defineHandler(Apis.CreatePartitions, (request, { broker }) => ({
  throttleTimeMs: 0,
  results: request.topics.map((wanted) => {
    const refused = broker.topics.checkGrow(wanted.name, wanted.count);
    if (refused) return { name: wanted.name, errorCode: refused.errorCode, errorMessage: refused.errorMessage };
    if (!request.validateOnly) broker.topics.grow(wanted.name, wanted.count);
    return { name: wanted.name, errorCode: ErrorCode.NONE, errorMessage: null };
  }),
}));
