// What the producer tests against a broker process (read-back, batching, send-errors,
// lifecycle-and-events, idempotent, broker-restart) share: a broker with quick group settings (kafkajs's consumer is the
// oracle of some), a connected producer of ours, producers that count their Produce requests,
// and every client disconnected after the tests.

import { after, before } from "node:test";
import type { Producer } from "../../../../broker/client/producer/index.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { quickGroupBrokerConfig } from "../helpers.ts";
import { createTopic, disconnectAll, ourProducer } from "./helpers.ts";

export interface ProduceSuite {
  broker(): BrokerProcess;
  /** A producer of ours, connected before the tests. */
  producer(): Producer;
  /** A connected producer of ours counting the Produce requests it sends (REQUEST events). */
  connectedProducer(
    config?: Parameters<typeof ourProducer>[1],
  ): Promise<{ producer: Producer; requests: () => number }>;
  /** A client to disconnect after the tests. */
  track<T extends { disconnect(): Promise<void> }>(client: T): T;
}

/**
 * Registers before/after hooks for the calling test file; call it at the top level. `topics`
 * (one partition each) exist before the tests, for those whose sends do not depend on the topic;
 * without `defaultProducer` the suite's own producer is not made (its tests make theirs).
 */
export function useProduceSuite({
  topics = [],
  defaultProducer = true,
}: {
  topics?: readonly string[];
  defaultProducer?: boolean;
} = {}): ProduceSuite {
  let broker: BrokerProcess | undefined;
  let producer: Producer | undefined;
  const openClients: { disconnect(): Promise<void> }[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the suite has not started");
    return value;
  };
  const suite: ProduceSuite = {
    broker: () => started(broker),
    producer: () => started(producer),
    async connectedProducer(config = {}) {
      const { producer } = ourProducer(started(broker).address, config);
      openClients.push(producer);
      let count = 0;
      producer.on(producer.events.REQUEST, (event) => {
        if (event.payload.apiName === "Produce") count++;
      });
      await producer.connect();
      return { producer, requests: () => count };
    },
    track(client) {
      openClients.push(client);
      return client;
    },
  };
  before(async () => {
    broker = await startBroker({ config: quickGroupBrokerConfig });
    for (const topic of topics) await createTopic(broker.address, topic, 1);
    if (defaultProducer) ({ producer } = await suite.connectedProducer());
  });
  after(async () => {
    await disconnectAll(...openClients);
    await broker?.cleanup();
  });
  return suite;
}
