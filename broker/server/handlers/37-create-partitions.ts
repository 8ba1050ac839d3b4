import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { MAX_NEW_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from "../topics.ts";
import { defineHandler } from "./handler.ts";

export const createPartitionsHandler = defineHandler(Apis.CreatePartitions, (request, { broker }) => {
  if (broker.kraft) {
    return broker.kraft.forwarding.route(Apis.CreatePartitions, request, async (controller) => {
      try {
        return { throttleTimeMs: 0, results: await controller.createPartitions(request.topics, request.validateOnly) };
      } catch (error) {
        const errorCode = controllerErrorCode(error);
        return {
          throttleTimeMs: 0,
          results: request.topics.map(({ name }) => ({ name, errorCode, errorMessage: null })),
        };
      }
    });
  }
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
