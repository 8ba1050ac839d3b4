// How the ledger takes part in its consumer group, from the environment: the group protocol
// (LEDGER_GROUP_PROTOCOL), the assignor of the classic protocol (LEDGER_ASSIGNOR), static membership
// (LEDGER_INSTANCE_ID), the session timeout (LEDGER_SESSION_TIMEOUT_MS) and the max poll interval
// (LEDGER_MAX_POLL_INTERVAL_MS, Java's max.poll.interval.ms). Unset, the ledger is a dynamic member
// of a classic group with the frame's defaults (kafkajs's round-robin, eager) and, with our client,
// a max poll interval of the frame's rebalance timeout: a ledger whose batch stalls longer leaves
// the group and its partitions go to the others (kafkajs has no such limit).
// The rebalance lab (seed/lab/rebalance/) runs one variant per setting.
//
// A setting the client in use cannot honour is refused at start, never ignored: a ledger asked for
// the consumer protocol that quietly ran the classic one would make the lab's figures lie.
//
// Owner of mutable state: none.

import type { ConsumerConfig } from "../../broker/client/consumer/types.ts";
import { clientKindFrom } from "../../broker/client/factory.ts";
import { Kafka, PartitionAssigners } from "../../broker/client/index.ts";
import { ConfigError, optionalIntFrom } from "../shared/config.ts";
import { FRAME_GROUP_SETTINGS } from "../shared/consumer-service.ts";

/** The max poll interval unless LEDGER_MAX_POLL_INTERVAL_MS says otherwise: as long as a rebalance may take. */
export const DEFAULT_MAX_POLL_INTERVAL_MS = FRAME_GROUP_SETTINGS.rebalanceTimeout;

export const groupProtocols = ["classic", "consumer"] as const;
export type GroupProtocol = (typeof groupProtocols)[number];

/** Assignors of the classic protocol our client has (kafkajs's default is round-robin; neither has range). */
export const ledgerAssignors = ["roundrobin", "cooperative-sticky"] as const;
export type LedgerAssignor = (typeof ledgerAssignors)[number];

export interface LedgerGroupOptions {
  protocol?: GroupProtocol;
  assignor?: LedgerAssignor;
  /** Static membership (KIP-345): this member's `group.instance.id`, kept across restarts. */
  instanceId?: string;
  sessionTimeoutMs?: number;
  /** Java's max.poll.interval.ms; DEFAULT_MAX_POLL_INTERVAL_MS when left out (and the client has it). */
  maxPollIntervalMs?: number;
}

/** The consumer settings beyond the frame's, including ones this client may not know yet (groupProtocol). */
export type LedgerConsumerOptions = Partial<Omit<ConsumerConfig, "groupId">> & { groupProtocol?: GroupProtocol };

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${values.join(", ")} (got "${raw}")`);
}

/** The group settings from the environment; unset ones are left out. */
export function ledgerGroupOptionsFrom(env: NodeJS.ProcessEnv): LedgerGroupOptions {
  const options: LedgerGroupOptions = {};
  const protocol = oneOf(env, "LEDGER_GROUP_PROTOCOL", groupProtocols);
  if (protocol !== undefined) options.protocol = protocol;
  const assignor = oneOf(env, "LEDGER_ASSIGNOR", ledgerAssignors);
  if (assignor !== undefined) options.assignor = assignor;
  if (env.LEDGER_INSTANCE_ID) options.instanceId = env.LEDGER_INSTANCE_ID;
  const sessionTimeoutMs = optionalIntFrom(env, "LEDGER_SESSION_TIMEOUT_MS", 1);
  if (sessionTimeoutMs !== undefined) options.sessionTimeoutMs = sessionTimeoutMs;
  const maxPollIntervalMs = optionalIntFrom(env, "LEDGER_MAX_POLL_INTERVAL_MS", 1);
  if (maxPollIntervalMs !== undefined) options.maxPollIntervalMs = maxPollIntervalMs;
  if (options.protocol === "consumer" && options.assignor !== undefined)
    throw new ConfigError("LEDGER_ASSIGNOR is for the classic protocol; the consumer protocol's broker assigns");
  return options;
}

/**
 * Which of the group features the client in use has, found by asking it: our consumer refuses a
 * malformed value of an option it implements, and knows nothing of one it does not.
 */
export function clientGroupFeatures(env: NodeJS.ProcessEnv = process.env): {
  staticMembership: boolean;
  cooperativeSticky: boolean;
  consumerProtocol: boolean;
  maxPollInterval: boolean;
} {
  if (clientKindFrom(env.KAFKA_CLIENT) === "kafkajs")
    return { staticMembership: false, cooperativeSticky: false, consumerProtocol: false, maxPollInterval: false };
  const kafka = new Kafka({ clientId: "ledger-feature-probe", brokers: ["127.0.0.1:1"] });
  const refuses = (config: Record<string, unknown>): boolean => {
    try {
      kafka.consumer({ groupId: "probe", ...config } as ConsumerConfig);
      return false;
    } catch {
      return true;
    }
  };
  return {
    staticMembership: refuses({ groupInstanceId: "not a valid id!" }),
    cooperativeSticky: typeof PartitionAssigners.cooperativeSticky === "function",
    consumerProtocol: refuses({ groupProtocol: "not-a-protocol" }),
    maxPollInterval: refuses({ maxPollInterval: -1 }),
  };
}

/** The consumer options for `options`; throws a ConfigError when the client cannot honour one. */
export function ledgerConsumerOptions(
  options: LedgerGroupOptions,
  features = clientGroupFeatures(),
): LedgerConsumerOptions {
  const consumer: LedgerConsumerOptions = {};
  if (options.protocol === "consumer") {
    if (!features.consumerProtocol)
      throw new ConfigError("LEDGER_GROUP_PROTOCOL=consumer: this client has no consumer group protocol (KIP-848)");
    consumer.groupProtocol = "consumer";
  }
  if (options.assignor === "cooperative-sticky") {
    if (!features.cooperativeSticky)
      throw new ConfigError("LEDGER_ASSIGNOR=cooperative-sticky: this client has no cooperative-sticky assignor");
    consumer.partitionAssigners = [PartitionAssigners.cooperativeSticky];
  } else if (options.assignor === "roundrobin") {
    consumer.partitionAssigners = [PartitionAssigners.roundRobin];
  }
  if (options.instanceId !== undefined) {
    if (!features.staticMembership)
      throw new ConfigError("LEDGER_INSTANCE_ID: this client has no static membership (group.instance.id)");
    consumer.groupInstanceId = options.instanceId;
  }
  if (options.sessionTimeoutMs !== undefined) consumer.sessionTimeout = options.sessionTimeoutMs;
  if (features.maxPollInterval) consumer.maxPollInterval = options.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS;
  else if (options.maxPollIntervalMs !== undefined)
    throw new ConfigError("LEDGER_MAX_POLL_INTERVAL_MS: this client has no max poll interval (max.poll.interval.ms)");
  return consumer;
}
