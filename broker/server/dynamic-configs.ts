// Configs as the config APIs see them (AlterConfigs, IncrementalAlterConfigs, DescribeConfigs):
// which broker properties may change at runtime, how a config value is checked, and where an
// effective value comes from (a topic's own ConfigRecord, the broker's dynamic config, the
// cluster-wide dynamic default, the broker's command line, the built-in default), as Kafka's
// config sources say. Dynamic values live in the metadata image (ConfigRecords), so every broker of
// a cluster reads the same ones and they survive a restart. No state.
import { ErrorCode } from "../protocol/errors.ts";
import { resolveLogConfig } from "../storage/log-config.ts";
import { type BrokerConfig, brokerDefaults, topicConfigDefaults } from "./config.ts";
import { ConfigResourceType, type MetadataImage } from "./metadata/metadata-image.ts";
import { logConfigFrom, type TopicError, validateTopicConfigs } from "./topics.ts";

export { ConfigResourceType };

/** DescribeConfigs' config sources (v1+), Kafka's ids. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** IncrementalAlterConfigs' operations, Kafka's ids. */
export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/**
 * The broker properties this broker reads again whenever they change: the defaults of the topic
 * log settings (applied to live partition logs at once, as Kafka's DynamicLogConfig) and
 * message.max.bytes. min.insync.replicas and unclean.leader.election.enable are read once at start
 * by the replicas and the controller, so here they are not dynamic (per topic they are).
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  "log.segment.bytes",
  "log.roll.ms",
  "log.retention.bytes",
  "log.retention.ms",
  "log.flush.interval.messages",
  "log.flush.interval.ms",
  "log.index.interval.bytes",
  "log.cleanup.policy",
  "message.max.bytes",
]);

/** Configs whose value is a comma-separated list (APPEND and SUBTRACT apply only to these). */
const LIST_CONFIGS: ReadonlySet<string> = new Set(["cleanup.policy", "log.cleanup.policy"]);

/** Broker properties whose values DescribeConfigs does not show (Kafka answers null for sensitive ones). */
const SENSITIVE_BROKER_CONFIGS: ReadonlySet<string> = new Set(["sasl.credentials"]);

export function isListConfig(name: string): boolean {
  return LIST_CONFIGS.has(name);
}

export function isSensitiveBrokerConfig(name: string): boolean {
  return SENSITIVE_BROKER_CONFIGS.has(name);
}

/** The topic config a broker property is the default of (log.retention.ms → retention.ms), if any. */
const topicNameOf = new Map(Object.entries(topicConfigDefaults).map(([topic, broker]) => [broker, topic]));

function invalidValue(name: string, value: string | null, why: string): TopicError {
  return {
    errorCode: ErrorCode.INVALID_CONFIG,
    errorMessage: `Invalid value ${value} for configuration ${name}: ${why}`,
  };
}

/** Checks one topic config: known name, value of the right type and in range. */
export function checkTopicConfig(name: string, value: string | null): TopicError | null {
  if (!(name in topicConfigDefaults))
    return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${name}` };
  const why = whyInvalid(name, value);
  return why === null ? null : invalidValue(name, value, why);
}

/** What is wrong with a known topic config's value, or null. */
function whyInvalid(name: string, value: string | null): string | null {
  const typed = validateTopicConfigs({ [name]: value });
  if (typed) return typed.errorMessage;
  const n = Number(value);
  if (name === "max.message.bytes" && n < 0) return "Value must be at least 0";
  if (name === "min.insync.replicas" && n < 1) return "Value must be at least 1";
  try {
    // The log's own range checks, on this value with every other setting at its default.
    resolveLogConfig(logConfigFrom((key) => (key === name ? (value as string) : defaultTopicValue(key))));
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** The built-in default of a topic config (its broker property's), for checking one value alone. */
function defaultTopicValue(name: string): string {
  return brokerDefaults[topicConfigDefaults[name]!]!;
}

/**
 * Checks one broker property set dynamically: unknown names are INVALID_CONFIG; known ones this
 * broker reads only at start are INVALID_REQUEST, as Kafka refuses a non-dynamic config; values as
 * the topic config they default.
 */
export function checkBrokerConfig(name: string, value: string | null): TopicError | null {
  if (!(name in brokerDefaults))
    return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown broker config name: ${name}` };
  if (!DYNAMIC_BROKER_CONFIGS.has(name))
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Cannot update these configs dynamically: Set(${name})`,
    };
  const topicName = topicNameOf.get(name);
  const why = topicName === undefined ? null : whyInvalid(topicName, value);
  return why === null ? null : invalidValue(name, value, why);
}

export interface ConfigValue {
  value: string;
  source: number;
}

/** A broker property's dynamic value: this broker's own, else the cluster-wide default (resource ""). */
export function dynamicBrokerValue(image: MetadataImage, nodeId: number, key: string): ConfigValue | undefined {
  const own = image.brokerConfigs.get(String(nodeId))?.get(key);
  if (own !== undefined) return { value: own, source: ConfigSource.DYNAMIC_BROKER_CONFIG };
  const clusterWide = image.brokerConfigs.get("")?.get(key);
  if (clusterWide !== undefined) return { value: clusterWide, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
  return undefined;
}

/** A broker property's effective value and where it comes from. */
export function brokerConfigValue(config: BrokerConfig, image: MetadataImage, key: string): ConfigValue {
  const dynamic = dynamicBrokerValue(image, config.nodeId, key);
  if (dynamic) return dynamic;
  const fromProps = config.props.get(key);
  if (fromProps !== undefined) return { value: fromProps, source: ConfigSource.STATIC_BROKER_CONFIG };
  return { value: brokerDefaults[key]!, source: ConfigSource.DEFAULT_CONFIG };
}

/** A topic config's effective value: the topic's own, else that of the broker property it defaults to. */
export function topicConfigValue(config: BrokerConfig, image: MetadataImage, topic: string, name: string): ConfigValue {
  const own = image.topicConfig(topic, name);
  if (own !== undefined) return { value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG };
  return brokerConfigValue(config, image, topicConfigDefaults[name]!);
}

/** A config's effective value by resource (what APPEND and SUBTRACT start from when it is not set). */
export function effectiveValueIn(
  config: BrokerConfig,
  image: MetadataImage,
): (resourceType: number, resourceName: string, name: string) => string {
  return (resourceType, resourceName, name) => {
    if (resourceType === ConfigResourceType.TOPIC)
      return name in topicConfigDefaults ? topicConfigValue(config, image, resourceName, name).value : "";
    if (!(name in brokerDefaults)) return "";
    // The named broker's (or the cluster-wide) dynamic value, else this node's static one.
    const dynamic = image.brokerConfigs.get(resourceName)?.get(name) ?? image.brokerConfigs.get("")?.get(name);
    return dynamic ?? config.props.get(name) ?? brokerDefaults[name]!;
  };
}
