// How apps get a Kafka client: ours by default, the real kafkajs when KAFKA_CLIENT=kafkajs (to
// compare the two, or to fall back). kafkajs is imported only when asked for, so apps that use
// ours never load it. Brokers come from KAFKA_BROKERS, so one deployment setting points every
// app at the cluster.
import type {
  Admin as KafkajsAdmin,
  KafkaConfig as KafkajsConfig,
  Consumer as KafkajsConsumer,
  Producer as KafkajsProducer,
} from "kafkajs";
import type { Admin, AdminConfig } from "./admin/index.ts";
import type { Consumer, ConsumerConfig } from "./consumer/index.ts";
import { Kafka, type KafkaConfig } from "./kafka.ts";
import type { Logger } from "./logger.ts";
import type { Producer, ProducerConfig } from "./producer/index.ts";

/** The members both clients have, with our types. */
type Shared<Ours, Theirs> = Pick<Ours, keyof Ours & keyof Theirs>;

/**
 * A consumer from either client: what both have, plus our `assign` extension as optional (present
 * on ours only, so an app checks for it, e.g. `consumer.assign?.(...)`, or keeps to subscribe).
 */
export type KafkaClientConsumer = Omit<Shared<Consumer, KafkajsConsumer>, "events"> & {
  /** The event names both have (ours adds PARTITIONS_ASSIGNED and PARTITIONS_REVOKED). */
  readonly events: Shared<Consumer["events"], KafkajsConsumer["events"]>;
} & Partial<Pick<Consumer, "assign">>;

/**
 * What both clients offer apps; app code typed against it runs on either. The compiler checks
 * that both clients satisfy it (see createKafka).
 */
export interface KafkaClient {
  producer(config?: ProducerConfig): Shared<Producer, KafkajsProducer>;
  consumer(config: ConsumerConfig): KafkaClientConsumer;
  admin(config?: AdminConfig): Shared<Admin, KafkajsAdmin>;
  logger(): Logger;
}

export const clientKinds = ["ours", "kafkajs"] as const;
export type ClientKind = (typeof clientKinds)[number];

/** The bundled broker's default address. */
export const DEFAULT_BROKERS = ["127.0.0.1:9092"];

/** KAFKA_CLIENT: unset or empty means ours. */
export function clientKindFrom(value: string | undefined): ClientKind {
  if (value === undefined || value === "") return "ours";
  if ((clientKinds as readonly string[]).includes(value)) return value as ClientKind;
  throw new Error(`KAFKA_CLIENT must be one of ${clientKinds.map((k) => `"${k}"`).join(", ")} (got "${value}")`);
}

/** KAFKA_BROKERS (comma-separated) wins over the app's `brokers`, which wins over the bundled broker's default. */
export function brokersFrom(
  envValue: string | undefined,
  option: KafkaConfig["brokers"] | undefined,
): KafkaConfig["brokers"] {
  const fromEnv = (envValue ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  if (fromEnv.length > 0) return fromEnv;
  return option ?? DEFAULT_BROKERS;
}

export async function createKafka({ clientId, brokers, ...rest }: Partial<KafkaConfig> = {}): Promise<KafkaClient> {
  const kind = clientKindFrom(process.env.KAFKA_CLIENT);
  const config: KafkaConfig = { ...rest, clientId, brokers: brokersFrom(process.env.KAFKA_BROKERS, brokers) };
  if (kind === "ours") return new Kafka(config);
  const kafkajs = await import("kafkajs");
  // Our config's fields are kafkajs's; ssl and sasl are passed through as given.
  const client: KafkaClient = new kafkajs.Kafka(config as KafkajsConfig);
  return client;
}
