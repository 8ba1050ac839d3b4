// Starts N broker processes that form one cluster (`npm run cluster`, `npm start -- --brokers N`):
// each broker its own OS process with its own data dir `<dataDir>/broker-<id>`, the first
// min(3, N) also controller voters (Kafka's combined mode), every one told the same quorum. The
// ports are fixed before any broker starts, because the voters must know each other's addresses
// and a restarted broker must come back on its own port; `basePort` 0 takes free ones.
//
// Ownership: the Supervisor owns the processes (and restarts one that dies); this module only
// decides their arguments and reports each broker's ready line with its pid.
import { createServer } from "node:net";
import path from "node:path";
import { createLogger, logLevel } from "../broker/client/logger.ts";
import { BrokerConnection } from "../broker/client/network/broker-connection.ts";
import { Apis } from "../broker/protocol/apis.ts";
import type { Supervisor } from "./supervisor.ts";

export interface BrokerClusterOptions {
  brokers: number;
  dataDir: string;
  host: string;
  /** The first broker's port, the others the next ones; 0 picks free ports. */
  basePort: number;
  /** Extra `--config key=value` for every broker. */
  configs?: Record<string, string>;
  /** Restart a broker that dies (default true). Its ready line is printed again. */
  restart?: boolean;
  /** Which of a broker's own lines to pass through (default: none but the ready line). */
  show?(line: string): boolean;
  /**
   * Each broker's admin HTTP listener (`--admin-port`): broker i on adminBasePort + i, 0 picks free
   * ports (fixed before the start, so a restarted broker keeps its own); unset: no admin listener.
   */
  adminBasePort?: number;
}

export interface ClusterBroker {
  nodeId: number;
  /** The Supervisor's label of its process. */
  label: string;
  /** `host:port` of its Kafka listener. */
  listener: string;
  /** `http://127.0.0.1:port` of its admin listener (loopback only); null without one. */
  admin: string | null;
}

export interface BrokerCluster {
  /** `host:port` of every broker, by node id: the bootstrap list. */
  bootstrap: string[];
  brokers: ClusterBroker[];
}

/**
 * Ports for `count` listeners of each base: `base`, base+1, ...; a base 0 takes free ones, all
 * found at once, so two listeners never get the same free port.
 */
export async function portsFrom(host: string, bases: readonly number[], count: number): Promise<number[][]> {
  const free = await freePorts(host, count * bases.filter((base) => base === 0).length);
  return bases.map((base) => (base === 0 ? free.splice(0, count) : Array.from({ length: count }, (_, i) => base + i)));
}

/** How many of the brokers are also controller voters: three make a quorum that survives one loss. */
export const maxVoters = 3;

/** Kafka's `controller.quorum.voters` form: `0@127.0.0.1:9092,1@127.0.0.1:9093,...`. */
export function quorumVoters(host: string, ports: readonly number[]): string {
  return ports
    .slice(0, maxVoters)
    .map((port, id) => `${id}@${host}:${port}`)
    .join(",");
}

/**
 * Broker settings that replicate what is created without a replication factor of its own (the demo's
 * topics, `__consumer_offsets`, `__transaction_state`): up to 3 copies, and with 3 an acks=all write needs 2 of them, so
 * one broker may be down without stopping writes or losing an acknowledged one.
 */
export function replicatedTopicDefaults(brokers: number): {
  "default.replication.factor": string;
  "offsets.topic.replication.factor": string;
  "transaction.state.log.replication.factor": string;
  "min.insync.replicas": string;
} {
  const factor = Math.min(3, brokers);
  return {
    "default.replication.factor": String(factor),
    "offsets.topic.replication.factor": String(factor),
    "transaction.state.log.replication.factor": String(factor),
    "min.insync.replicas": String(factor >= 3 ? 2 : 1),
  };
}

/** `count` distinct free TCP ports on `host`, each found by binding port 0 and closing again. */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, host, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function startBrokerCluster(
  supervisor: Supervisor,
  options: BrokerClusterOptions,
): Promise<BrokerCluster> {
  const bases = options.adminBasePort === undefined ? [options.basePort] : [options.basePort, options.adminBasePort];
  const [ports = [], adminPorts = []] = await portsFrom(options.host, bases, options.brokers);
  const voters = quorumVoters(options.host, ports);
  const configs = Object.entries(options.configs ?? {}).flatMap(([key, value]) => ["--config", `${key}=${value}`]);
  // Voters wait for each other to elect a controller, so every broker starts at once.
  await Promise.all(
    ports.map((port, id) =>
      supervisor.start({
        label: `broker-${id}`,
        script: "broker/server/main.ts",
        args: [
          "--node-id",
          String(id),
          "--host",
          options.host,
          "--port",
          String(port),
          "--data-dir",
          path.join(options.dataDir, `broker-${id}`),
          "--controller-quorum",
          voters,
          ...(adminPorts[id] === undefined ? [] : ["--admin-port", String(adminPorts[id])]),
          ...configs,
        ],
        readyLine: /^listening on (\S+)/,
        show: (line) => /^listening on /.test(line) || (options.show?.(line) ?? false),
        format: (line, pid) => {
          const ready = /^listening on (\S+)/.exec(line);
          return ready ? `broker ${id} listening on ${ready[1]} pid ${pid}` : `[broker-${id}] ${line}`;
        },
        restart: options.restart ?? true,
      }),
    ),
  );
  const bootstrap = ports.map((port) => `${options.host}:${port}`);
  // Each broker serves once the controller unfenced it; the others learn that from the metadata
  // log a moment later. Ready means every broker's Metadata already lists all of them.
  await Promise.all(ports.map((port) => waitUntilBrokerSees(options.host, port, options.brokers)));
  const brokers = ports.map((port, id) => ({
    nodeId: id,
    label: `broker-${id}`,
    listener: `${options.host}:${port}`,
    // The admin listener stays on loopback (the broker's --admin-host default), whatever `host` is.
    admin: adminPorts[id] === undefined ? null : `http://127.0.0.1:${adminPorts[id]}`,
  }));
  return { bootstrap, brokers };
}

async function waitUntilBrokerSees(host: string, port: number, brokers: number): Promise<void> {
  const connection = new BrokerConnection({
    host,
    port,
    clientId: "cluster-launcher",
    connectionTimeout: 5_000,
    requestTimeout: 5_000,
    logger: createLogger(logLevel.NOTHING),
  });
  try {
    for (;;) {
      try {
        const metadata = await connection.request(Apis.Metadata, { topics: [], allowAutoTopicCreation: false });
        if (metadata.brokers.length >= brokers) return;
      } catch {
        connection.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    connection.disconnect();
  }
}
