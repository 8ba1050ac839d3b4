// A controller voter on a real socket, for the tests of what talks to the active controller: a real
// QuorumController on the fake Raft node (each proposal committed as soon as it is made), served by
// the broker's real request router on a TCP port (0: a free one), so BrokerRegistration,
// BrokerHeartbeat, AllocateProducerIds and CreateTopics reach it through the real handlers and the
// real client connection. `active: false` makes a voter that does not lead: it answers NOT_CONTROLLER.
// It notes each request it gets (API name and client id), and its clock and timers are the test's.
import { createServer, type Server, type Socket } from "node:net";
import type { TestContext } from "node:test";
import type { ControllerTimers } from "../../../broker/controller/periodic-task-control.ts";
import { type ControllerConfig, QuorumController } from "../../../broker/controller/quorum-controller.ts";
import { apiByKey } from "../../../broker/protocol/apis.ts";
import { readRequestHeader } from "../../../broker/protocol/headers.ts";
import type { BrokerState } from "../../../broker/server/broker-state.ts";
import { parseArgs } from "../../../broker/server/config.ts";
import { Connection } from "../../../broker/server/connection.ts";
import { ForwardingManager } from "../../../broker/server/forwarding-manager.ts";
import { type Logger, silentLogger } from "../../../broker/server/logger.ts";
import { MetadataLoader } from "../../../broker/server/metadata/metadata-loader.ts";
import type { ControllerAddress } from "../../../broker/server/node-to-controller-channel.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { waitFor } from "../../helpers/wait.ts";
import { incarnationOf, topicIdOf } from "../controller/cluster-fixture.ts";
import { FakeRaft } from "../controller/fake-raft.ts";

/** The fake Raft node, committing every proposal right after it is made (a quorum that always agrees). */
export class CommittingRaft extends FakeRaft {
  override propose(records: Buffer[]): Promise<bigint> {
    const proposed = super.propose(records);
    queueMicrotask(() => this.commit());
    return proposed;
  }
}

/** Periodic work (fencing stale brokers, rebalancing leaders) runs only when the test says. */
const idleTimers: ControllerTimers = { every: () => () => {}, after: () => () => {} };

export interface ReceivedRequest {
  api: string;
  clientId: string | null;
}

export interface ControllerNode {
  address: ControllerAddress;
  raft: CommittingRaft;
  loader: MetadataLoader;
  controller: QuorumController;
  /** The controller's monotonic clock, in ms; move it to let broker sessions run out. */
  clock: { now: number };
  /** Every request received, in order. */
  received: ReceivedRequest[];
  /** How many requests of `api` (by name) it has received. */
  count(api: string): number;
  /** How many client connections are open to it. */
  connections(): number;
  /** Stops serving: closes the listener and every connection. */
  stop(): Promise<void>;
}

export interface ControllerNodeOptions {
  nodeId?: number;
  /** Whether it leads the quorum and is the active controller (default true). */
  active?: boolean;
  /** The port to listen on (default 0: a free one). */
  port?: number;
  config?: Partial<ControllerConfig>;
}

const controllerConfig: ControllerConfig = {
  sessionTimeoutMs: 9000,
  defaultPartitions: 1,
  defaultReplicationFactor: 1,
  uncleanLeaderElection: false,
  autoLeaderRebalance: false,
  leaderImbalanceCheckIntervalMs: 300_000,
};

/** Starts a controller node, stopped after the test. */
export async function startControllerNode(
  t: TestContext,
  options: ControllerNodeOptions = {},
): Promise<ControllerNode> {
  const nodeId = options.nodeId ?? 0;
  const raft = new CommittingRaft();
  const loader = new MetadataLoader(raft);
  const clock = { now: 0 };
  let ids = 0;
  const controller = new QuorumController({
    clusterId: "cluster-a",
    raft,
    committed: loader,
    config: { ...controllerConfig, ...options.config },
    timers: idleTimers,
    now: () => clock.now,
    randomInt: () => 0,
    newTopicId: () => topicIdOf(`topic-${ids++}`),
  });
  const unused = {
    send: () => Promise.reject(new Error("the controller node forwards nothing")),
    close: () => {},
  };
  const state = {
    config: parseArgs([]),
    log: silentLogger,
    kraft: {
      controller,
      forwarding: new ForwardingManager(nodeId, controller, () => (raft.isLeader ? nodeId : null), unused),
    },
  } as unknown as BrokerState;
  const received: ReceivedRequest[] = [];
  const route = createRequestRouter(state);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    new Connection(
      socket,
      (frame, connection) => {
        const { header } = readRequestHeader(frame);
        received.push({ api: apiByKey(header.apiKey)?.name ?? String(header.apiKey), clientId: header.clientId });
        return route(frame, connection);
      },
      100 * 1024 * 1024,
      silentLogger,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    controller.close();
  };
  t.after(stop);
  if (options.active ?? true) {
    raft.becomeLeader();
    await waitFor(() => controller.isActive, { message: "the controller activates" });
  }
  return {
    address: { nodeId, host: "127.0.0.1", port },
    raft,
    loader,
    controller,
    clock,
    received,
    count: (api) => received.filter((r) => r.api === api).length,
    connections: () => sockets.size,
    stop,
  };
}

/** Registers `brokerId` straight with the controller and unfences it, as its lifecycle manager would; its epoch. */
export async function registerLiveBroker(node: ControllerNode, brokerId: number, generation = 0): Promise<bigint> {
  const { errorCode, brokerEpoch } = await node.controller.registerBroker({
    brokerId,
    clusterId: "cluster-a",
    incarnationId: incarnationOf(brokerId, generation),
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 + brokerId, securityProtocol: 0 }],
    features: [],
    rack: null,
  });
  if (errorCode !== 0) throw new Error(`registration of broker ${brokerId} refused: error ${errorCode}`);
  const reply = await node.controller.brokerHeartbeat({
    brokerId,
    brokerEpoch,
    currentMetadataOffset: node.loader.lastAppliedOffset,
    wantFence: false,
    wantShutDown: false,
  });
  if (reply.isFenced) throw new Error(`broker ${brokerId} still fenced`);
  return brokerEpoch;
}

export interface LoggedLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields?: Record<string, unknown>;
}

/** A broker logger that keeps its lines, to see what a part said. */
export function recordingLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: LoggedLine["level"]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
