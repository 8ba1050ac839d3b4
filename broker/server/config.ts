// Broker configuration under Kafka's own property names, so `--config key=value` reads like a
// server.properties line. Topic-level overrides (CreateTopics configs) use the topic names
// (segment.bytes, retention.ms, ...), mapped onto the broker defaults below.
import { Command } from "commander";
import { parsePerIpOverrides } from "./connection-quotas.ts";
import { isListenerSecurityProperty, securityConfigFrom } from "./security/security-config.ts";

export interface BrokerConfig {
  host: string;
  port: number;
  nodeId: number;
  dataDir: string;
  props: Map<string, string>;
  /** The admin HTTP listener (JSON state, events, /metrics); absent: none. Port 0 takes a free one. */
  admin?: { host: string; port: number };
  /**
   * A property's dynamic value (AlterConfigs on the broker resource, kept in the cluster metadata),
   * which takes precedence over `props`; absent until the broker reads the metadata.
   */
  dynamic?: (key: string) => string | undefined;
}

/** Broker-wide properties and their defaults; unknown keys are refused so typos do not pass silently. */
export const brokerDefaults: Record<string, string> = {
  "num.partitions": "1",
  "default.replication.factor": "1",
  "auto.create.topics.enable": "true",
  "socket.request.max.bytes": String(100 * 1024 * 1024),
  // Connection limits under Kafka's names. queued.max.request.bytes is unbounded (-1) in Kafka;
  // here it bounds the request bytes read and not yet answered across all connections.
  "max.connections": "2147483647",
  "max.connections.per.ip": "2147483647",
  "max.connections.per.ip.overrides": "",
  "connections.max.idle.ms": "600000",
  "queued.max.request.bytes": String(256 * 1024 * 1024),
  // Listeners and SASL (security/). Empty listeners: one PLAINTEXT listener at --host/--port.
  // Kafka enables GSSAPI by default; here the mechanisms implemented. Users: PLAIN from
  // listener.name.<listener>.plain.sasl.jaas.config, any mechanism from sasl.credentials(.file).
  listeners: "",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL",
  "inter.broker.listener.name": "PLAINTEXT",
  "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
  "sasl.credentials": "",
  "sasl.credentials.file": "",
  "message.max.bytes": String(1024 * 1024 + 12),
  "log.segment.bytes": String(1024 * 1024 * 1024),
  "log.roll.ms": String(7 * 24 * 3600 * 1000),
  "log.retention.bytes": "-1",
  "log.retention.ms": String(7 * 24 * 3600 * 1000),
  "log.retention.check.interval.ms": String(5 * 60 * 1000),
  "log.flush.interval.messages": "9223372036854775807",
  "log.flush.interval.ms": "9223372036854775807",
  "log.index.interval.bytes": "4096",
  "log.cleanup.policy": "delete",
  "log.cleaner.backoff.ms": "15000",
  "offsets.topic.num.partitions": "50",
  // Kafka's default is 3; 1 lets a lone broker (or a smaller cluster) create the topic. The cluster launcher sets min(3, brokers).
  "offsets.topic.replication.factor": "1",
  "offsets.commit.timeout.ms": "5000",
  "offset.metadata.max.bytes": "4096",
  // The transaction coordinator (KIP-98), Kafka's names; the replication factor is 1 for the same
  // reason as offsets.topic.replication.factor's.
  "transaction.state.log.num.partitions": "50",
  "transaction.state.log.replication.factor": "1",
  "transaction.max.timeout.ms": "900000",
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": "10000",
  "transactional.id.expiration.ms": "604800000",
  "transaction.remove.expired.transaction.cleanup.interval.ms": "3600000",
  "group.min.session.timeout.ms": "6000",
  "group.max.session.timeout.ms": "1800000",
  "group.initial.rebalance.delay.ms": "0",
  "group.max.size": "2147483647",
  // The KIP-848 consumer group protocol, Kafka's names and defaults.
  "group.consumer.session.timeout.ms": "45000",
  "group.consumer.heartbeat.interval.ms": "5000",
  "group.consumer.assignors": "uniform,range",
  // The cluster (KRaft controller and replication), under Kafka's names with Kafka's defaults.
  "broker.session.timeout.ms": "9000",
  "broker.heartbeat.interval.ms": "2000",
  "unclean.leader.election.enable": "false",
  "auto.leader.rebalance.enable": "true",
  "leader.imbalance.check.interval.seconds": "300",
  "replica.lag.time.max.ms": "30000",
  "min.insync.replicas": "1",
  // The controller quorum's Raft timings (broker/raft/), Kafka's names and defaults.
  "controller.quorum.election.timeout.ms": "1000",
  "controller.quorum.fetch.timeout.ms": "2000",
  "controller.quorum.election.backoff.max.ms": "1000",
  "controller.quorum.request.timeout.ms": "2000",
  "controller.quorum.retry.backoff.ms": "20",
  // Who is in the cluster: empty voters make a single broker its own one-voter quorum.
  "controller.quorum.voters": "",
  // Set only to pin a new data dir to a known cluster; otherwise meta-properties.ts derives it.
  "cluster.id": "",
  "process.roles": "broker,controller",
};

/** Topic-level config name → the broker default it overrides. */
export const topicConfigDefaults: Record<string, string> = {
  "segment.bytes": "log.segment.bytes",
  "segment.ms": "log.roll.ms",
  "retention.bytes": "log.retention.bytes",
  "retention.ms": "log.retention.ms",
  "flush.messages": "log.flush.interval.messages",
  "flush.ms": "log.flush.interval.ms",
  "index.interval.bytes": "log.index.interval.bytes",
  "cleanup.policy": "log.cleanup.policy",
  "max.message.bytes": "message.max.bytes",
  "min.insync.replicas": "min.insync.replicas",
  "unclean.leader.election.enable": "unclean.leader.election.enable",
};

export class ConfigError extends Error {}

export function brokerProp(config: BrokerConfig, key: string): string {
  const value = config.dynamic?.(key) ?? config.props.get(key) ?? brokerDefaults[key];
  if (value === undefined) throw new Error(`unknown broker property ${key}`);
  return value;
}

export function brokerNumber(config: BrokerConfig, key: string): number {
  return Number(brokerProp(config, key));
}

export function validateProps(props: Map<string, string>): void {
  for (const [key, value] of props) {
    if (isListenerSecurityProperty(key)) continue;
    if (!(key in brokerDefaults)) throw new ConfigError(`unknown config ${key}`);
    if (key === "max.connections.per.ip.overrides") {
      try {
        parsePerIpOverrides(value);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    if (
      brokerDefaults[key] !== "true" &&
      brokerDefaults[key] !== "false" &&
      /^-?\d+$/.test(brokerDefaults[key]!) &&
      !/^-?\d+$/.test(value)
    ) {
      throw new ConfigError(`config ${key} must be an integer, got "${value}"`);
    }
  }
}

/** An integer option's parser: a value in [min, max], anything else a ConfigError naming the flag. */
function integerIn(flag: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      throw new ConfigError(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
}

/** Collects the repeated `--config key=value`; the keys are checked after parsing (validateProps). */
function addProp(pair: string, previous: Map<string, string> | undefined): Map<string, string> {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--config takes key=value, got "${pair}"`);
  const props = new Map(previous);
  props.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  return props;
}

/** The broker's command line: its own options, and `--config key=value` repeated for Kafka's properties. */
export function brokerCommand(): Command {
  const width = Math.max(...Object.keys(brokerDefaults).map((key) => key.length));
  const properties = Object.entries(brokerDefaults)
    .map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)
    .join("\n");
  return new Command("broker")
    .description(
      "A Kafka-wire-compatible broker. Prints `listening on HOST:PORT` on stdout when ready and logs JSON lines on stderr (LOG_LEVEL=debug for more).",
    )
    .option("--host <host>", "address to listen on (the host of Kafka's listeners)", "127.0.0.1")
    .option(
      "--port <port>",
      "TCP port to listen on, 0 for a free one (the port of Kafka's listeners)",
      integerIn("--port", 0, 65535),
      9092,
    )
    .option("--node-id <id>", "this broker's id (Kafka's node.id)", integerIn("--node-id", 0, 2 ** 31 - 1), 0)
    .option(
      "--data-dir <dir>",
      "where the partition logs and cluster metadata live (Kafka's log.dirs)",
      "./data/broker",
    )
    .option(
      "--controller-quorum <voters>",
      "the controller voters, id@host:port comma-separated (Kafka's controller.quorum.voters); default: this broker alone",
    )
    .option(
      "--admin-port <port>",
      "port of the admin HTTP listener (state as JSON, events, /metrics), 0 for a free one; none when absent",
      integerIn("--admin-port", 0, 65535),
    )
    .option("--admin-host <host>", "address of the admin HTTP listener", "127.0.0.1")
    .option("--config <key=value>", "a broker property under Kafka's name (repeat for several; listed below)", addProp)
    .addHelpText("after", `\nBroker properties for --config, with their defaults:\n${properties}`);
}

/**
 * Parses `--port 9092 --data-dir DIR --host H --node-id N --admin-port P --config k=v ...`. Bad
 * usage throws a ConfigError (one line); `--help` prints the help on stdout and throws commander's
 * error with exit code 0.
 */
export function parseArgs(argv: string[]): BrokerConfig {
  const command = brokerCommand()
    .configureOutput({ outputError: () => {} })
    .exitOverride((error) => {
      if (error.exitCode === 0) throw error;
      throw new ConfigError(
        error.message
          .replace(/^error: /, "")
          .replace(/\s*\n\s*/g, " ")
          .trim(),
      );
    });
  command.parse(argv, { from: "user" });
  const options = command.opts<{
    host: string;
    port: number;
    nodeId: number;
    dataDir: string;
    controllerQuorum?: string;
    adminPort?: number;
    adminHost: string;
    config?: Map<string, string>;
  }>();
  const props = new Map(options.config ?? []);
  if (options.controllerQuorum !== undefined) props.set("controller.quorum.voters", options.controllerQuorum);
  const config: BrokerConfig = {
    host: options.host,
    port: options.port,
    nodeId: options.nodeId,
    dataDir: options.dataDir,
    props,
    ...(options.adminPort === undefined ? {} : { admin: { host: options.adminHost, port: options.adminPort } }),
  };
  validateProps(config.props);
  if (config.props.has("listeners") && ["host", "port"].some((o) => command.getOptionValueSource(o) === "cli"))
    throw new ConfigError("--host/--port and listeners both say where to listen: give one of them");
  validateSecurity(config);
  processRoles(config);
  return config;
}

/** Listeners, mechanisms and users are read as the broker will read them, so a mistake stops it here. */
function validateSecurity(config: BrokerConfig): void {
  try {
    securityConfigFrom({
      prop: (key) => brokerProp(config, key),
      props: config.props,
      defaultHost: config.host,
      defaultPort: config.port,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Where a controller voter listens (one entry of `controller.quorum.voters`). */
export interface VoterEndpoint {
  host: string;
  port: number;
}

/** Parses `0@127.0.0.1:9092,1@127.0.0.1:9093`; throws ConfigError naming the bad entry. */
export function parseQuorumVoters(text: string): Map<number, VoterEndpoint> {
  const voters = new Map<number, VoterEndpoint>();
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const match = /^(\d+)@(.+):(\d+)$/.exec(entry);
    const port = match === null ? Number.NaN : Number(match[3]);
    if (match === null || port < 1 || port > 65535) {
      throw new ConfigError(`controller.quorum.voters entry "${entry}" is not id@host:port`);
    }
    const id = Number(match[1]);
    if (voters.has(id)) throw new ConfigError(`controller.quorum.voters names node ${id} twice`);
    voters.set(id, { host: match[2]!, port });
  }
  if (voters.size === 0) throw new ConfigError("controller.quorum.voters names no voter");
  return voters;
}

/** The node ids of `controller.quorum.voters`; unset, this broker alone (a quorum of one). */
export function voterIds(config: BrokerConfig): number[] {
  const raw = brokerProp(config, "controller.quorum.voters").trim();
  return raw === "" ? [config.nodeId] : [...parseQuorumVoters(raw).keys()];
}

/** Kafka's process.roles: this node is a broker, a controller voter, or both (combined mode). */
export function processRoles(config: BrokerConfig): { broker: boolean; controller: boolean } {
  const roles = brokerProp(config, "process.roles")
    .split(",")
    .map((role) => role.trim());
  const unknown = roles.find((role) => role !== "broker" && role !== "controller");
  if (unknown !== undefined || roles.length === 0)
    throw new ConfigError(
      `process.roles takes broker, controller or both, got "${brokerProp(config, "process.roles")}"`,
    );
  const controller = roles.includes("controller") && voterIds(config).includes(config.nodeId);
  if (roles.includes("controller") && !controller && config.props.has("process.roles"))
    throw new ConfigError(`process.roles has controller but node ${config.nodeId} is not in controller.quorum.voters`);
  return { broker: roles.includes("broker"), controller };
}
