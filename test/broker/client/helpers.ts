// What the client's tests (and the conformance suite) share: waiting for a condition with a
// deadline, bounded cleanup, our clients on a Cluster of their own (as Kafka builds them, without
// depending on the rest of the client), and kafkajs clients as an independent oracle.
import { Kafka as KafkajsKafka, logLevel as kafkajsLogLevel } from "kafkajs";
import { Cluster } from "../../../broker/client/cluster.ts";
import { createLogger, type Logger, logLevel } from "../../../broker/client/logger.ts";
import type { RetryOptions } from "../../../broker/client/retry.ts";
import { cleanupAllWithin, waitFor as sharedWaitFor } from "../../helpers/wait.ts";

export const silentLogger = createLogger(logLevel.NOTHING);

/** Broker settings that make group tests quick: short sessions allowed, no initial rebalance delay. */
export const quickGroupBrokerConfig = {
  "group.min.session.timeout.ms": 1000,
  "group.initial.rebalance.delay.ms": 0,
} as const;

/**
 * Polls `condition` until it holds; fails with `message` (a function, to show the state at the
 * deadline) after `timeoutMs`. A condition that throws counts as not holding yet.
 */
export function waitFor(
  condition: () => boolean | Promise<boolean>,
  message: string | (() => string),
  timeoutMs = 20_000,
): Promise<void> {
  return sharedWaitFor(condition, { message, timeoutMs, intervalMs: 25, describeError });
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const type = (error as { type?: string }).type;
  const cause = (error as { cause?: unknown }).cause;
  return `${error.name}${type ? `[${type}]` : ""}: ${error.message}${cause ? ` <- ${describeError(cause)}` : ""}`;
}

/** The fields of a network request event's payload, as kafkajs's instrumentation reports them (sorted). */
export const requestEventFields = [
  "apiKey",
  "apiName",
  "apiVersion",
  "broker",
  "clientId",
  "correlationId",
  "createdAt",
  "duration",
  "pendingDuration",
  "sentAt",
  "size",
];

/** Runs every step, each given at most 10 s, even when earlier ones fail; never throws. For `after` hooks. */
export function cleanupAll(...steps: Array<(() => unknown) | undefined>): Promise<void> {
  return cleanupAllWithin(10_000, ...steps);
}

/** The rejection of `promise` (or of calling it); fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown> | (() => unknown)): Promise<Error & Record<string, any>> {
  let value: unknown;
  try {
    value = await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return error as Error & Record<string, any>;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

export interface OurClusterOptions {
  clientId: string;
  retry?: RetryOptions;
  requestTimeout?: number;
  allowAutoTopicCreation?: boolean;
  logger?: Logger;
}

/** A Cluster as Kafka builds one for each client, for tests that make a producer, consumer or admin directly. */
export function ourCluster(
  address: string,
  { clientId, retry, requestTimeout = 15_000, allowAutoTopicCreation = true, logger = silentLogger }: OurClusterOptions,
): Cluster {
  return new Cluster({
    brokers: [address],
    clientId,
    connectionTimeout: 3000,
    requestTimeout,
    retry,
    logger,
    allowAutoTopicCreation,
  });
}

export function kafkajsClient(address: string, clientId: string): KafkajsKafka {
  return new KafkajsKafka({
    clientId,
    brokers: [address],
    logLevel: kafkajsLogLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}
