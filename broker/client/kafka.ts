// The entry point, shaped like kafkajs's `new Kafka(config)`: each producer, consumer and admin
// gets a Cluster of its own (its own connections and metadata), as in kafkajs.
import { type Admin, type AdminConfig, createAdmin } from "./admin/index.ts";
import { Cluster } from "./cluster.ts";
import { type Consumer, type ConsumerConfig, createConsumer } from "./consumer/index.ts";
import { KafkaJSNonRetriableError } from "./errors.ts";
import { createLogger, type Logger, type LogLevel, type logCreator, logLevel } from "./logger.ts";
import { createProducer, type Producer, type ProducerConfig } from "./producer/index.ts";
import type { RetryOptions } from "./retry.ts";
import type { SASLOptions } from "./types.ts";

export interface KafkaConfig {
  brokers: string[] | (() => string[] | Promise<string[]>);
  clientId?: string;
  connectionTimeout?: number;
  requestTimeout?: number;
  /** Accepted for kafkajs compatibility; this client does not time out as kafkajs's does either. */
  authenticationTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  logLevel?: LogLevel;
  logCreator?: logCreator;
  ssl?: unknown;
  /** PLAIN or SCRAM-SHA-256/512 on every connection, as kafkajs's option. */
  sasl?: SASLOptions;
}

export class Kafka {
  private readonly rootLogger: Logger;

  constructor(private readonly config: KafkaConfig) {
    if (config.ssl) throw new KafkaJSNonRetriableError("ssl is not supported by this client yet");
    if (config.sasl) checkSaslOptions(config.sasl);
    this.rootLogger = createLogger(config.logLevel ?? logLevel.INFO, config.logCreator);
  }

  producer(config: ProducerConfig = {}): Producer {
    return createProducer({
      ...config,
      retry: { ...this.config.retry, ...config.retry },
      cluster: this.cluster(config.retry, config.allowAutoTopicCreation),
      logger: this.rootLogger.namespace("Producer"),
    });
  }

  consumer(config: ConsumerConfig): Consumer {
    return createConsumer({
      ...config,
      retry: { ...this.config.retry, ...config.retry },
      cluster: this.cluster(config.retry, config.allowAutoTopicCreation),
      logger: this.rootLogger.namespace("Consumer"),
    });
  }

  admin(config: AdminConfig = {}): Admin {
    return createAdmin({
      ...config,
      retry: { ...this.config.retry, ...config.retry },
      cluster: this.cluster(config.retry, false),
      logger: this.rootLogger.namespace("Admin"),
    });
  }

  logger(): Logger {
    return this.rootLogger;
  }

  private cluster(retry: RetryOptions | undefined, allowAutoTopicCreation = true): Cluster {
    return new Cluster({
      brokers: this.config.brokers,
      clientId: this.config.clientId ?? "kafkajs",
      connectionTimeout: this.config.connectionTimeout ?? 1000,
      requestTimeout: this.config.requestTimeout ?? 30000,
      retry: { ...this.config.retry, ...retry },
      logger: this.rootLogger,
      allowAutoTopicCreation,
      ...(this.config.sasl ? { sasl: this.config.sasl } : {}),
    });
  }
}

/** A mechanism this client does not speak, or a missing name or password, is refused up front. */
function checkSaslOptions(sasl: SASLOptions): void {
  const mechanisms: readonly string[] = ["plain", "scram-sha-256", "scram-sha-512"];
  const mechanism = String(sasl.mechanism ?? "").toLowerCase();
  if (!mechanisms.includes(mechanism))
    throw new KafkaJSNonRetriableError(
      `SASL mechanism ${sasl.mechanism} is not supported by this client (${mechanisms.join(", ")})`,
    );
  if (typeof sasl.username !== "string" || typeof sasl.password !== "string")
    throw new KafkaJSNonRetriableError(`SASL ${mechanism}: username and password must be strings`);
}
