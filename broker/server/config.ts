// Broker configuration under Kafka's own property names, so `--config key=value` reads like a
// server.properties line. Topic-level overrides (CreateTopics configs) use the topic names
// (segment.bytes, retention.ms, ...), mapped onto the broker defaults below.

export interface BrokerConfig {
  host: string;
  port: number;
  nodeId: number;
  dataDir: string;
  props: Map<string, string>;
}

/** Broker-wide properties and their defaults; unknown keys are refused so typos do not pass silently. */
export const brokerDefaults: Record<string, string> = {
  "num.partitions": "1",
  "default.replication.factor": "1",
  "auto.create.topics.enable": "true",
  "socket.request.max.bytes": String(100 * 1024 * 1024),
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
  "offsets.commit.timeout.ms": "5000",
  "offset.metadata.max.bytes": "4096",
  "group.min.session.timeout.ms": "6000",
  "group.max.session.timeout.ms": "1800000",
  "group.initial.rebalance.delay.ms": "0",
  "group.max.size": "2147483647",
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
};

export class ConfigError extends Error {}

export function brokerProp(config: BrokerConfig, key: string): string {
  const value = config.props.get(key) ?? brokerDefaults[key];
  if (value === undefined) throw new Error(`unknown broker property ${key}`);
  return value;
}

export function brokerNumber(config: BrokerConfig, key: string): number {
  return Number(brokerProp(config, key));
}

export function validateProps(props: Map<string, string>): void {
  for (const [key, value] of props) {
    if (!(key in brokerDefaults)) throw new ConfigError(`unknown config ${key}`);
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

/** Parses `--port 9092 --data-dir DIR --host H --node-id N --config k=v ...`. */
export function parseArgs(argv: string[]): BrokerConfig {
  const config: BrokerConfig = { host: "127.0.0.1", port: 9092, nodeId: 0, dataDir: "./data/broker", props: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value`);
      return v;
    };
    const integer = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max)
        throw new ConfigError(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
      return n;
    };
    switch (flag) {
      case "--port":
        config.port = integer(0, 65535);
        break;
      case "--host":
        config.host = value();
        break;
      case "--node-id":
        config.nodeId = integer(0, 2 ** 31 - 1);
        break;
      case "--data-dir":
        config.dataDir = value();
        break;
      case "--config": {
        const pair = value();
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new ConfigError(`--config takes key=value, got "${pair}"`);
        config.props.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        break;
      }
      default:
        throw new ConfigError(
          `unknown option ${flag} (options: --port, --host, --node-id, --data-dir, --config key=value)`,
        );
    }
  }
  validateProps(config.props);
  return config;
}
