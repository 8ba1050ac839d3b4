// What the consume tests (delivery, commits-and-positions, controls-and-events, broker-restart)
// share on top of helpers.ts: our consumers on the suite's broker, a run that collects every
// message handed to eachMessage, and a group's committed offsets as kafkajs's admin reads them.

import type { Consumer } from "../../../../broker/client/index.ts";
import { type ConsumerSuite, ourConsumer, quickConsumerConfig, type Received } from "./helpers.ts";

export interface ConsumeHelpers {
  /** A consumer of ours on the suite's broker, disconnected after the suite. */
  consumer(groupId: string, extra?: Parameters<typeof quickConsumerConfig>[1]): Consumer;
  /** Connects, subscribes (from the beginning unless told otherwise) and pushes every message handed to eachMessage. */
  collect(c: Consumer, topic: string | RegExp, sink: Received[], options?: { fromBeginning?: boolean }): Promise<void>;
  /** The group's committed offset of each partition of `topic`, as strings ("-1" for none). */
  committed(groupId: string, topic: string): Promise<Record<number, string>>;
}

export function consumeHelpers(suite: ConsumerSuite): ConsumeHelpers {
  return {
    consumer(groupId, extra = {}) {
      const created = ourConsumer(suite.broker().address, quickConsumerConfig(groupId, extra));
      suite.track(created);
      return created;
    },
    async collect(c, topic, sink, options = {}) {
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
      await c.run({
        eachMessage: async ({ topic: t, partition, message }) => {
          sink.push({
            topic: t,
            partition,
            offset: BigInt(message.offset),
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? "",
          });
        },
      });
    },
    async committed(groupId, topic) {
      const [entry] = await suite.rig().admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries(entry!.partitions.map((p) => [p.partition, p.offset]));
    },
  };
}
