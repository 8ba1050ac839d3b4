import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

const groupKey = 0;

export const findCoordinatorHandler = defineHandler(Apis.FindCoordinator, (request, { broker }) => {
  if (request.keyType !== groupKey) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: "transactions are not supported",
      nodeId: -1,
      host: "",
      port: -1,
    };
  }
  // The coordinator is the leader of the group's __consumer_offsets partition.
  const offsetsTopic = broker.cluster.topic("__consumer_offsets");
  const leaderId = offsetsTopic?.partitions[broker.groups.partitionFor(request.key)]?.leader;
  const node = broker.cluster.brokers.find((b) => b.nodeId === leaderId);
  if (!node)
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: null,
      nodeId: -1,
      host: "",
      port: -1,
    };
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    nodeId: node.nodeId,
    host: node.host,
    port: node.port,
  };
});
