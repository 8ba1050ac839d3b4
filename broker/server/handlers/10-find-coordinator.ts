import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerState } from "../broker-state.ts";
import { brokersOnListener } from "../cluster.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../groups/offsets-record-format.ts";
import { TRANSACTION_STATE_TOPIC } from "../transactions/transaction-log-format.ts";
import { defineHandler } from "./handler.ts";

const groupKey = 0;
const transactionKey = 1;

interface Coordinator {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

function coordinatorFor(broker: BrokerState, key: string, keyType: number, listener: string | undefined): Coordinator {
  const unavailable = (errorMessage: string | null): Coordinator => ({
    errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    errorMessage,
    nodeId: -1,
    host: "",
    port: -1,
  });
  // A group's coordinator leads its __consumer_offsets partition; a transactional id's, its
  // __transaction_state partition (made on the first ask, as Kafka makes it).
  let leaderId: number | undefined;
  if (keyType === groupKey) {
    leaderId = broker.cluster.topic(CONSUMER_OFFSETS_TOPIC)?.partitions[broker.groups.partitionFor(key)]?.leader;
  } else if (keyType === transactionKey) {
    const stateTopic = broker.cluster.topic(TRANSACTION_STATE_TOPIC);
    if (stateTopic === undefined) broker.ensureTransactionStateTopic?.();
    leaderId = stateTopic?.partitions[broker.transactions.partitionFor(key)]?.leader;
  } else {
    return { ...unavailable(null), errorCode: ErrorCode.INVALID_REQUEST };
  }
  const node = brokersOnListener(broker.cluster.brokers, listener).find((b) => b.nodeId === leaderId);
  if (!node) return unavailable(null);
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
