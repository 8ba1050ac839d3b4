import { controllerErrorCode } from "../../controller/controller-result.ts";
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { CreateTopicsRequestCreatableTopic } from "../../protocol/messages/create-topics.ts";
import type { BrokerState } from "../broker-state.ts";
import { brokerProp } from "../config.ts";
import { MAX_NEW_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from "../topics.ts";
import { defineHandler } from "./handler.ts";

/** Partitions the topic is asked for: its assignments, or numPartitions (-1: the broker default). */
function wantedPartitionCount(wanted: CreateTopicsRequestCreatableTopic, broker: BrokerState): number {
  if (wanted.assignments.length > 0) return wanted.assignments.length;
  return wanted.numPartitions === -1 ? Number(brokerProp(broker.config, "num.partitions")) : wanted.numPartitions;
}

export const createTopicsHandler = defineHandler(Apis.CreateTopics, (request, { broker }) => {
  if (broker.kraft) {
    return broker.kraft.forwarding.route(Apis.CreateTopics, request, async (controller) => {
      try {
        const results = await controller.createTopics(request.topics, request.validateOnly);
        return {
          throttleTimeMs: 0,
          topics: results.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage })),
        };
      } catch (error) {
        const errorCode = controllerErrorCode(error);
        return {
          throttleTimeMs: 0,
          topics: request.topics.map(({ name }) => ({ name, errorCode, errorMessage: null })),
        };
      }
    });
  }
  let requested = 0;
  for (const wanted of request.topics) requested += Math.max(0, wantedPartitionCount(wanted, broker));
  const tooMany = requested > MAX_NEW_PARTITIONS_PER_REQUEST;
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((wanted) => {
      const result = (errorCode: number, errorMessage: string | null = null) => ({
        name: wanted.name,
        errorCode,
        errorMessage,
      });
      if (tooMany) return result(TOO_MANY_PARTITIONS.errorCode, TOO_MANY_PARTITIONS.errorMessage);
      const { topics, cluster } = broker;
      const brokerCount = cluster.brokers.length;
      const manual = wanted.assignments.length > 0;
      const partitionCount = wantedPartitionCount(wanted, broker);
      const replicationFactor = manual
        ? wanted.assignments[0]!.brokerIds.length
        : wanted.replicationFactor === -1
          ? 1
          : wanted.replicationFactor;
      if (replicationFactor < 1 || replicationFactor > brokerCount) {
        return result(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `replication factor ${replicationFactor} is not possible with ${brokerCount} broker(s)`,
        );
      }
      const unknownBroker = wanted.assignments
        .flatMap((a) => a.brokerIds)
        .find((id) => !cluster.brokers.some((b) => b.nodeId === id));
      if (unknownBroker !== undefined)
        return result(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `broker ${unknownBroker} does not exist`);
      const configs = Object.fromEntries(wanted.configs.map((c) => [c.name, c.value]));
      const invalid = topics.checkCreate(wanted.name, partitionCount, configs);
      if (invalid) return result(invalid.errorCode, invalid.errorMessage);
      if (!request.validateOnly) {
        const kept = Object.fromEntries(Object.entries(configs).filter((e): e is [string, string] => e[1] !== null));
        topics.create(wanted.name, partitionCount, kept);
      }
      return result(ErrorCode.NONE);
    }),
  };
});
