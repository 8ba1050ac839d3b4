import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { brokersOnListener } from "../cluster.ts";
import { defineHandler } from "./handler.ts";

const groupKey = 0;

interface Coordinator {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

function coordinatorFor(broker: BrokerState, key: string, keyType: number, listener: string | undefined): Coordinator {
  if (keyType !== groupKey) {
    return {
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: "transactions are not supported",
      nodeId: -1,
      host: "",
      port: -1,
    };
  }
  // The coordinator is the leader of the group's __consumer_offsets partition.
  const offsetsTopic = broker.cluster.topic("__consumer_offsets");
  const leaderId = offsetsTopic?.partitions[broker.groups.partitionFor(key)]?.leader;
  const node = brokersOnListener(broker.cluster.brokers, listener).find((b) => b.nodeId === leaderId);
  if (!node)
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null, nodeId: -1, host: "", port: -1 };
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
}

export const findCoordinatorHandler = defineHandler(
  Apis.FindCoordinator,
  (request, { broker, apiVersion, listener }) => {
    // v4 asks for a batch of keys and answers one coordinator per key.
    if (apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        nodeId: -1,
        host: "",
        port: -1,
        coordinators: (request.coordinatorKeys ?? []).map((key) => ({
          key,
          ...coordinatorFor(broker, key, request.keyType, listener),
        })),
      };
    }
    return { throttleTimeMs: 0, ...coordinatorFor(broker, request.key, request.keyType, listener) };
  },
);
