// @platformatic/kafka (a fast pure-JS client) behind the benchmarks' small producer/consumer
// interface, with its default settings but for those the comparison fixes: acks -1, a new group
// (KIP-848 protocol) reading from the earliest offset, raw Buffers for keys and values.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { platformatic } from "../test/helpers/platformatic.ts";
import type { BenchConsumerConfig } from "./lib.ts";

type Listener = (event: { payload: { error: Error } }) => void;

interface Message {
  key: Buffer | null;
  value: Buffer | null;
}

export const platformaticVersion = (): string =>
  (
    JSON.parse(
      readFileSync(fileURLToPath(new URL("../node_modules/@platformatic/kafka/package.json", import.meta.url)), "utf8"),
    ) as { version: string }
  ).version;

/** A producer with the bench's send(): each send is one Producer.send of its messages. */
export function platformaticProducer(address: string, clientId: string) {
  const producer = new platformatic.Producer({ clientId, bootstrapBrokers: [address], acks: -1 });
  return {
    connect: async (): Promise<void> => {
      await producer.metadata({ topics: [] });
    },
    send: ({
      topic,
      messages,
      acks = -1,
    }: {
      topic: string;
      messages: { value: Buffer; partition?: number }[];
      acks?: number;
    }) =>
      producer.send({
        acks,
        messages: messages.map(({ value, partition }) =>
          partition === undefined ? { topic, value } : { topic, value, partition },
        ),
      }),
    disconnect: () => producer.close(),
  };
}

/** The consumer settings the benchmarks give every client (kafkajs's names). */
export type PlatformaticConsumerConfig = BenchConsumerConfig;

/**
 * A consumer with the bench's run({ eachBatch }): the messages the stream emits within one tick
 * (one fetch response) are handed over as one batch, so the bench's per-batch cost matches the
 * other clients'. group_join fires when consume() has joined the group, before the first fetch.
 */
export function platformaticConsumer(address: string, config: PlatformaticConsumerConfig, clientId: string) {
  const consumer = new platformatic.Consumer({
    clientId,
    bootstrapBrokers: [address],
    groupId: config.groupId,
    // Its classic JoinGroup wants versions 2-5, which the broker does not offer; the KIP-848
    // protocol is what the acceptance tests run it on.
    groupProtocol: "consumer",
    ...(config.sessionTimeout === undefined ? {} : { sessionTimeout: config.sessionTimeout }),
    ...(config.heartbeatInterval === undefined ? {} : { heartbeatInterval: config.heartbeatInterval }),
    ...(config.maxWaitTimeInMs === undefined ? {} : { maxWaitTime: config.maxWaitTimeInMs }),
    ...(config.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: config.maxBytesPerPartition }),
    ...(config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes }),
  });
  let topics: string[] = [];
  let stream: { close(): Promise<void> } | undefined;
  const joinListeners: (() => void)[] = [];
  const crashListeners: Listener[] = [];
  return {
    connect: async (): Promise<void> => {
      await consumer.metadata({ topics: [] });
    },
    subscribe: async (subscription: { topics: string[] }): Promise<void> => {
      topics = subscription.topics;
    },
    run: async (handlers: {
      eachBatch?: (payload: { batch: { messages: Message[] } }) => Promise<void>;
    }): Promise<void> => {
      const messages = await consumer.consume({ topics, mode: "earliest" });
      stream = messages;
      for (const listener of joinListeners) listener();
      let pending: Message[] = [];
      const flush = (): void => {
        const batch = pending;
        pending = [];
        handlers.eachBatch?.({ batch: { messages: batch } }).catch((error: Error) => {
          for (const listener of crashListeners) listener({ payload: { error } });
        });
      };
      messages.on("data", (message: Message) => {
        if (pending.length === 0) queueMicrotask(flush);
        pending.push(message);
      });
      messages.on("error", (error: Error) => {
        for (const listener of crashListeners) listener({ payload: { error } });
      });
    },
    on: (event: string, listener: (() => void) | Listener): void => {
      if (event === "consumer.group_join") joinListeners.push(listener as () => void);
      if (event === "consumer.crash") crashListeners.push(listener as Listener);
    },
    disconnect: async (): Promise<void> => {
      await stream?.close();
      await consumer.close(true);
    },
  };
}
