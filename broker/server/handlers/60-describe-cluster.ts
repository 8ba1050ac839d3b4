// DescribeCluster (60): the cluster id, the controller clients should use and the brokers serving,
// as Metadata tells them, for admin tools that ask only this (kcat -L does not; Kafka's admin does).
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { brokersOnListener } from "../cluster.ts";
import { defineHandler } from "./handler.ts";

export const describeClusterHandler = defineHandler(Apis.DescribeCluster, (_request, { broker, listener }) => ({
  throttleTimeMs: 0,
  errorCode: ErrorCode.NONE,
  errorMessage: null,
  clusterId: broker.cluster.clusterId,
  controllerId: broker.cluster.controllerId,
  brokers: brokersOnListener(broker.cluster.brokers, listener).map((b) => ({
    brokerId: b.nodeId,
    host: b.host,
    port: b.port,
    rack: b.rack,
  })),
}));
