// Conformance: Kafka transactions (KIP-98) as an app uses them, once with kafkajs and once with our
// client — commit and abort, what read_committed and read_uncommitted consumers are handed, the last
// stable offset holding back an open transaction, consume-transform-produce with sendOffsets, and a
// second producer with the same transactional id fencing the first.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer, Producer } from "kafkajs";
import {
  clientKinds,
  collectFromBeginning,
  committedOffsets,
  errorType,
  highWatermarks,
  quickGroupBrokerConfig,
  type Received,
  rejectionOf,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

const transactionBrokerConfig = {
  ...quickGroupBrokerConfig,
  "transaction.state.log.num.partitions": 3,
} as const;

/** What a fenced producer is told: PRODUCER_FENCED from brokers that say it, INVALID_PRODUCER_EPOCH before. */
const fencedErrors = new Set(["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]);

describe("conformance: transactions", () => {
  const broker = useBroker({ config: transactionBrokerConfig });

  for (const kind of clientKinds) {
    describe(kind, () => {
      const clients = useClientsOf(kind, broker, `conformance-transactions-${kind}`);

      const transactionalProducer = async (transactionalId = topicName(kind, "tx")): Promise<Producer> => {
        const producer = clients.pool.track(
          clients.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 }),
        );
        await producer.connect();
        return producer;
      };

      const collect = async (topic: string, readUncommitted: boolean): Promise<Received[]> => {
        const received: Received[] = [];
        const consumer = clients.consumer(topicName(kind, readUncommitted ? "uncommitted" : "committed"), {
          readUncommitted,
        });
        await collectFromBeginning(consumer, topic, received);
        return received;
      };

      it(
        "when a transaction commits, then read_committed consumers get its records and never its marker",
        {
          timeout: 60_000,
        },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await clients.createTopic("commit", 2);
            const producer = await transactionalProducer();
            const first = await producer.transaction();
            assert.equal(first.isActive(), true);
            await first.send({ topic, messages: ["a", "b", "c"].map((value) => ({ value, partition: 0 })) });
            await first.send({ topic, messages: [{ value: "d", partition: 1 }] });
            await first.commit();
            assert.equal(first.isActive(), false);
            const second = await producer.transaction();
            await second.send({ topic, messages: ["e", "f"].map((value) => ({ value, partition: 0 })) });
            await second.commit();

            const received = await collect(topic, false);
            await waitFor(
              () => received.length === 6,
              () => `6 committed records (got ${received.length})`,
            );
            const onZero = received.filter((m) => m.partition === 0);
            assert.deepEqual(
              onZero.map((m) => m.value),
              ["a", "b", "c", "e", "f"],
            );
            // Each commit wrote one control record after its data: offsets 3 and 6 are markers, never delivered.
            assert.deepEqual(
              onZero.map((m) => m.offset),
              ["0", "1", "2", "4", "5"],
            );
            assert.deepEqual(await highWatermarks(clients.admin, topic), { 0: "7", 1: "2" });
          }),
      );

      it(
        "when a transaction aborts, then read_committed consumers skip it and read_uncommitted ones get it",
        {
          timeout: 60_000,
        },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await clients.createTopic("abort", 1);
            const producer = await transactionalProducer();
            const aborted = await producer.transaction();
            await aborted.send({ topic, messages: [{ value: "aborted-1" }, { value: "aborted-2" }] });
            await aborted.abort();
            assert.equal(aborted.isActive(), false);
            const committed = await producer.transaction();
            await committed.send({ topic, messages: [{ value: "committed-1" }, { value: "committed-2" }] });
            await committed.commit();

            const readCommitted = await collect(topic, false);
            const readUncommitted = await collect(topic, true);
            await waitFor(
              () => readCommitted.length === 2 && readUncommitted.length === 4,
              () => `2 and 4 records (got ${readCommitted.length} and ${readUncommitted.length})`,
            );
            assert.deepEqual(
              readCommitted.map((m) => [m.offset, m.value]),
              [
                ["3", "committed-1"],
                ["4", "committed-2"],
              ],
            );
            assert.deepEqual(
              readUncommitted.map((m) => [m.offset, m.value]),
              [
                ["0", "aborted-1"],
                ["1", "aborted-2"],
                ["3", "committed-1"],
                ["4", "committed-2"],
              ],
            );
            // Ended transactions cannot be used again.
            const late = await rejectionOf(aborted.send({ topic, messages: [{ value: "late" }] }));
            assert.equal(late.name, "KafkaJSNonRetriableError");
          }),
      );

      it(
        "when a transaction is open, then the last stable offset holds read_committed readers before it",
        {
          timeout: 60_000,
        },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await clients.createTopic("open", 1);
            const producer = await transactionalProducer();
            const open = await producer.transaction();
            await open.send({ topic, messages: [{ value: "in-transaction" }] });
            await clients.producer.send({ topic, messages: [{ value: "plain" }] });

            const readUncommitted = await collect(topic, true);
            await waitFor(
              () => readUncommitted.length === 2,
              () => `read_uncommitted sees both (got ${readUncommitted.length})`,
            );
            // fetchTopicOffsets reads committed, as kafkajs's admin does: the end it sees is the LSO.
            assert.deepEqual(await highWatermarks(clients.admin, topic), { 0: "0" });
            const readCommitted = await collect(topic, false);

            await open.commit();
            await waitFor(
              () => readCommitted.length === 2,
              () => `read_committed sees both after the commit (got ${readCommitted.length})`,
            );
            assert.deepEqual(
              readCommitted.map((m) => m.value),
              ["in-transaction", "plain"],
            );
            assert.deepEqual(await highWatermarks(clients.admin, topic), { 0: "3" });
          }),
      );

      it(
        "when a consume-transform-produce loop sends its offsets in the transaction, then they commit with its records or not at all",
        {
          timeout: 60_000,
        },
        () =>
          withBrokerLog(broker, async () => {
            const input = await clients.createTopic("ctp-in", 1);
            const output = await clients.createTopic("ctp-out", 1);
            await clients.producer.send({ topic: input, messages: ["1", "2", "3", "4"].map((value) => ({ value })) });
            const groupId = topicName(kind, "ctp-group");
            const producer = await transactionalProducer();
            const consumer: Consumer = clients.consumer(groupId);
            await consumer.connect();
            await consumer.subscribe({ topics: [input], fromBeginning: true });
            const handled: string[] = [];
            await consumer.run({
              autoCommit: false,
              eachMessage: async ({ topic, partition, message }) => {
                const value = message.value!.toString();
                const transaction = await producer.transaction();
                await transaction.send({ topic: output, messages: [{ value: `doubled ${Number(value) * 2}` }] });
                await transaction.sendOffsets({
                  consumerGroupId: groupId,
                  topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
                });
                // The third record's transaction aborts: neither its output nor its offset may stick.
                if (value === "3") await transaction.abort();
                else await transaction.commit();
                handled.push(value);
              },
            });
            await waitFor(
              () => handled.length === 4,
              () => `4 records handled (got ${handled.length})`,
            );
            await consumer.stop();
            assert.deepEqual(await committedOffsets(clients.admin, groupId, input), { 0: "4" });
            const results = await collect(output, false);
            await waitFor(
              () => results.length === 3,
              () => `3 committed outputs (got ${results.length})`,
            );
            assert.deepEqual(
              results.map((m) => m.value),
              ["doubled 2", "doubled 4", "doubled 8"],
            );
          }),
      );

      it(
        "when a second producer takes the same transactional id, then the first is fenced and the second carries on",
        {
          timeout: 60_000,
        },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await clients.createTopic("fence", 1);
            const transactionalId = topicName(kind, "shared-tx");
            const first = await transactionalProducer(transactionalId);
            const stale = await first.transaction();
            await stale.send({ topic, messages: [{ value: "from-the-first" }] });

            const second = await transactionalProducer(transactionalId);
            const current = await second.transaction();
            await current.send({ topic, messages: [{ value: "from-the-second" }] });
            await current.commit();

            const fenced = await rejectionOf(stale.commit());
            assert.ok(fencedErrors.has(errorType(fenced) ?? ""), `fenced with ${errorType(fenced)}: ${fenced.message}`);
            const received = await collect(topic, false);
            await waitFor(
              () => received.length === 1,
              () => `the second's record (got ${received.length})`,
            );
            assert.deepEqual(
              received.map((m) => m.value),
              ["from-the-second"],
            );
          }),
      );
    });
  }
});
