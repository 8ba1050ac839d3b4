// A broker's real domain state (cluster metadata, topics on real log files, a loaded group
// coordinator over __consumer_offsets) without a socket, assembled as Broker.start does, and a
// client that sends requests through the real request router. For tests that must reach into the
// state (close the coordinator, look at a partition) while requests go the broker's own way.
// `useRoutedBroker` gives one to a whole describe block.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { ApiDefinition } from "../../../broker/protocol/apis.ts";
import { decodeResponse, encodeRequest } from "../../../broker/protocol/headers.ts";
import type { BrokerState } from "../../../broker/server/broker-state.ts";
import { ClusterMetadata } from "../../../broker/server/cluster.ts";
import { type BrokerConfig, brokerNumber, parseArgs } from "../../../broker/server/config.ts";
import type { Connection, FrameHandler } from "../../../broker/server/connection.ts";
import { ConsumerOffsetsLog } from "../../../broker/server/consumer-offsets-log.ts";
import { GroupCoordinator } from "../../../broker/server/groups/coordinator.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../broker/server/groups/offsets-record-format.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { TopicManager } from "../../../broker/server/topics.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";

export interface RoutedBroker {
  state: BrokerState;
  route: FrameHandler;
  /** Routes one request as `clientId` from `clientHost`; null when no response is due. */
  request<Req, Res>(
    api: ApiDefinition<Req, Res>,
    version: number,
    body: Req,
    from?: { clientId?: string; clientHost?: string },
  ): Promise<Res | null>;
  /** Stops the coordinator, closes the logs and removes the data directory. */
  cleanup(): Promise<void>;
}

/** The frame a connection hands the router: the request without its 4-byte size prefix. */
export function requestFrame<Req, Res>(
  api: ApiDefinition<Req, Res>,
  version: number,
  body: Req,
  correlationId = 1,
  clientId = "router-test",
): Buffer {
  return Buffer.concat(encodeRequest(api, version, correlationId, clientId, body)).subarray(4);
}

/** A broker's config as its command line makes it: defaults, `--data-dir` and `--config` pairs. */
export function brokerConfigIn(dataDir: string, props: Record<string, string> = {}): BrokerConfig {
  return parseArgs([
    "--data-dir",
    dataDir,
    ...Object.entries(props).flatMap(([key, value]) => ["--config", `${key}=${value}`]),
  ]);
}

export async function routedBroker(props: Record<string, string> = {}): Promise<RoutedBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), "broker-state-"));
  const config = brokerConfigIn(dataDir, { "offsets.topic.num.partitions": "3", ...props });
  const cluster = ClusterMetadata.open(dataDir, { nodeId: 0, host: "127.0.0.1", port: 9092, rack: null });
  const topics = new TopicManager(config, cluster, nodeFileSystem, silentLogger);
  topics.openAll();
  topics.create(
    CONSUMER_OFFSETS_TOPIC,
    brokerNumber(config, "offsets.topic.num.partitions"),
    { "cleanup.policy": "compact" },
    true,
  );
  const groups = new GroupCoordinator({
    offsetsLog: new ConsumerOffsetsLog(topics),
    config: {
      groupMinSessionTimeoutMs: brokerNumber(config, "group.min.session.timeout.ms"),
      groupMaxSessionTimeoutMs: brokerNumber(config, "group.max.session.timeout.ms"),
      groupInitialRebalanceDelayMs: brokerNumber(config, "group.initial.rebalance.delay.ms"),
      offsetMetadataMaxBytes: brokerNumber(config, "offset.metadata.max.bytes"),
      groupMaxSize: brokerNumber(config, "group.max.size"),
      offsetsTopicNumPartitions: brokerNumber(config, "offsets.topic.num.partitions"),
    },
    partitionExists: (topic, partition) => topics.partition(topic, partition) !== undefined,
  });
  await groups.load();
  const state: BrokerState = { config, cluster, topics, groups, log: silentLogger };
  const route = createRequestRouter(state);
  let correlationId = 0;
  return {
    state,
    route,
    async request(api, version, body, from = {}) {
      const id = ++correlationId;
      const connection = { clientHost: from.clientHost ?? "127.0.0.1" } as Connection;
      const response = await route(requestFrame(api, version, body, id, from.clientId ?? "router-test"), connection);
      if (response === null) return null;
      const decoded = decodeResponse(api, version, Buffer.concat(response).subarray(4));
      if (decoded.correlationId !== id) throw new Error(`response to ${decoded.correlationId}, expected ${id}`);
      return decoded.body;
    },
    async cleanup() {
      await groups.close();
      topics.closeAll();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** For a describe block: a routed broker made before its tests and cleaned up after them; the handle stands for it. */
export function useRoutedBroker(props: Record<string, string> = {}): RoutedBroker {
  let made: RoutedBroker | undefined;
  before(async () => {
    made = await routedBroker(props);
  });
  after(() => made?.cleanup());
  const broker = (): RoutedBroker => {
    if (made === undefined) throw new Error("the suite's routed broker has not been made");
    return made;
  };
  return {
    get state() {
      return broker().state;
    },
    route: (frame, connection) => broker().route(frame, connection),
    request: (api, version, body, from) => broker().request(api, version, body, from),
    cleanup: () => broker().cleanup(),
  };
}
