// A real broker started in-process on port 0 (a quorum of one, topics on real log files, a group
// coordinator over __consumer_offsets), and a client that sends requests straight through its
// request router, without a socket. For tests that must reach into the
// state (close the coordinator, look at a partition) while requests go the broker's own way.
// `useRoutedBroker` gives one to a whole describe block.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { ApiDefinition } from "../../../broker/protocol/apis.ts";
import { decodeResponse, encodeRequest } from "../../../broker/protocol/headers.ts";
import { Broker } from "../../../broker/server/broker.ts";
import type { BrokerState } from "../../../broker/server/broker-state.ts";
import { type BrokerConfig, brokerNumber, parseArgs } from "../../../broker/server/config.ts";
import type { Connection, FrameHandler } from "../../../broker/server/connection.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../broker/server/groups/offsets-record-format.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { waitFor } from "../../helpers/wait.ts";

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
  /** Stops the broker and keeps its data directory (routedBrokerIn starts it again there). */
  stop(): Promise<void>;
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

export function routedBroker(props: Record<string, string> = {}): Promise<RoutedBroker> {
  return routedBrokerIn(mkdtempSync(join(tmpdir(), "broker-state-")), props);
}

/** A routed broker on `dataDir`, new or kept from one stopped before (a restart). */
export async function routedBrokerIn(dataDir: string, props: Record<string, string> = {}): Promise<RoutedBroker> {
  const config = parseArgs([
    "--port",
    "0",
    "--data-dir",
    dataDir,
    ...Object.entries({ "offsets.topic.num.partitions": "3", ...props }).flatMap(([key, value]) => [
      "--config",
      `${key}=${value}`,
    ]),
  ]);
  const broker = new Broker(config, silentLogger);
  await broker.start();
  const state = broker.current!;
  // The broker asks its controller for __consumer_offsets once it serves; the groups need it led here.
  const offsetsPartitions = brokerNumber(config, "offsets.topic.num.partitions");
  await waitFor(
    () =>
      Array.from({ length: offsetsPartitions }, (_, i) => state.topics.partition(CONSUMER_OFFSETS_TOPIC, i)).every(
        (partition) => partition?.replication.isLeader === true,
      ),
    { message: "__consumer_offsets created and led by the broker" },
  );
  const route = createRequestRouter(state);
  let correlationId = 0;
  return {
    state,
    route,
    async request(api, version, body, from = {}) {
      const id = ++correlationId;
      // A connection that stays open: a routed request that waits is answered by its own deadline.
      const connection = {
        clientHost: from.clientHost ?? "127.0.0.1",
        whenClosed: () => () => {},
      } as unknown as Connection;
      const response = await route(requestFrame(api, version, body, id, from.clientId ?? "router-test"), connection);
      if (response === null) return null;
      const decoded = decodeResponse(api, version, Buffer.concat(response).subarray(4));
      if (decoded.correlationId !== id) throw new Error(`response to ${decoded.correlationId}, expected ${id}`);
      return decoded.body;
    },
    async cleanup() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    stop: () => broker.stop(),
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
    stop: () => broker().stop(),
  };
}
