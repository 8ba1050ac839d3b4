// Conformance: producing and consuming — per-key order, what a record carries (headers,
// timestamps, null and empty keys and values), seek, pause/resume and concurrent partitions,
// each checked with kafkajs and with our client, then the two compared.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecordMetadata } from "kafkajs";
import { trackAssignment } from "../helpers/group-assignment.ts";
import { range } from "../helpers/wait.ts";
import {
  type ClientKind,
  clientKinds,
  collectFromBeginning,
  quickGroupBrokerConfig,
  type Received,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

interface Observed {
  keyPartitions?: Record<string, number>;
  sendResult?: RecordMetadata[];
  roundTrip?: Array<Omit<Received, "topic" | "timestamp">>;
}

describe("conformance: produce and consume", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });
  const observed: Record<ClientKind, Observed> = { kafkajs: {}, ours: {} };

  for (const kind of clientKinds) {
    describe(kind, () => {
      const clients = useClientsOf(kind, broker, `conformance-pc-${kind}`);
      const { createTopic } = clients;

      it(
        "when 50 keys × 40 messages go to 6 partitions, then every key arrives complete, in order, on one partition",
        { timeout: 60_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("keyed", 6);
            const keys = range(50).map((k) => `key-${k}`);
            for (const round of range(40)) {
              const result = await clients.producer.send({
                topic,
                messages: keys.map((key) => ({ key, value: `${key}:${round}` })),
              });
              if (round === 0) observed[kind].sendResult = result;
            }

            const received: Received[] = [];
            const consumer = clients.consumer(topicName(kind, "keyed-group"));
            await collectFromBeginning(consumer, topic, received);
            // Every distinct message, however many copies came; a copy shows in the count below.
            const distinct = (): number => new Set(received.map((m) => `${m.partition}/${m.offset}`)).size;
            await waitFor(
              () => distinct() >= 2000,
              () => `2000 messages (got ${distinct()})`,
            );
            assert.equal(received.length, 2000, "a message was delivered twice");

            const keyPartitions: Record<string, number> = {};
            const sequences = new Map<string, number[]>();
            const lastOffset = new Map<number, bigint>();
            for (const message of received) {
              const [key, round] = message.value!.split(":");
              assert.equal(message.key, key);
              keyPartitions[key!] ??= message.partition;
              assert.equal(message.partition, keyPartitions[key!], `key ${key} seen on two partitions`);
              const seq = sequences.get(key!) ?? [];
              seq.push(Number(round));
              sequences.set(key!, seq);
              const previous = lastOffset.get(message.partition);
              assert.ok(
                previous === undefined || BigInt(message.offset) > previous,
                `partition ${message.partition} delivered offset ${message.offset} after ${previous}`,
              );
              lastOffset.set(message.partition, BigInt(message.offset));
            }
            for (const key of keys) assert.deepEqual(sequences.get(key), range(40), `order of ${key}`);
            assert.ok(new Set(Object.values(keyPartitions)).size > 1, "keys should spread over partitions");
            observed[kind].keyPartitions = keyPartitions;
          }),
      );

      it(
        "when records carry headers, timestamps, null and empty keys and values, then they arrive unchanged",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("round-trip", 1);
            const fixedTimestamp = String(Date.UTC(2021, 5, 1, 12, 0, 0));
            const sentAfter = Date.now();
            await clients.producer.send({
              topic,
              messages: [
                {
                  key: "k1",
                  value: "with headers",
                  headers: {
                    plain: "a",
                    unicode: "ünïcödé ✓",
                    empty: "",
                    buffer: Buffer.from("bytes"),
                    multi: ["x", "y"],
                  },
                },
                { key: null, value: "null key" },
                { key: "tombstone", value: null },
                { key: null, value: null },
                { key: "", value: "" },
                { key: "dated", value: "fixed timestamp", timestamp: fixedTimestamp },
              ],
            });
            const sentBefore = Date.now();

            const received: Received[] = [];
            const consumer = clients.consumer(topicName(kind, "round-trip-group"));
            await collectFromBeginning(consumer, topic, received);
            await waitFor(
              () => received.length >= 6,
              () => `6 messages (got ${received.length})`,
            );

            const [withHeaders, nullKey, tombstone, bothNull, empty, dated] = received;
            assert.deepEqual(
              { key: withHeaders!.key, value: withHeaders!.value, headers: withHeaders!.headers },
              {
                key: "k1",
                value: "with headers",
                headers: { plain: "a", unicode: "ünïcödé ✓", empty: "", buffer: "bytes", multi: ["x", "y"] },
              },
            );
            assert.deepEqual([nullKey!.key, nullKey!.value], [null, "null key"]);
            assert.deepEqual([tombstone!.key, tombstone!.value], ["tombstone", null]);
            assert.deepEqual([bothNull!.key, bothNull!.value], [null, null]);
            assert.deepEqual([empty!.key, empty!.value], ["", ""]);
            assert.deepEqual(empty!.headers, {});
            assert.equal(dated!.timestamp, fixedTimestamp);
            for (const message of received.slice(0, 5)) {
              assert.equal(typeof message.timestamp, "string");
              const ts = Number(message.timestamp);
              assert.ok(
                ts >= sentAfter - 1000 && ts <= sentBefore + 1000,
                `timestamp ${message.timestamp} should be the send time`,
              );
            }
            assert.deepEqual(
              received.map((m) => m.offset),
              ["0", "1", "2", "3", "4", "5"],
            );
            observed[kind].roundTrip = received.map(({ topic: _topic, timestamp: _timestamp, ...rest }) => rest);
          }),
      );

      it(
        "when the consumer seeks to an earlier offset, then messages are re-delivered from there in order",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("seek", 2);
            await clients.producer.send({
              topic,
              messages: range(10).map((i) => ({ value: `p0-${i}`, partition: 0 })),
            });
            await clients.producer.send({
              topic,
              messages: range(10).map((i) => ({ value: `p1-${i}`, partition: 1 })),
            });

            const received: Received[] = [];
            const consumer = clients.consumer(topicName(kind, "seek-group"));
            await collectFromBeginning(consumer, topic, received);
            await waitFor(
              () => received.length >= 20,
              () => `20 messages (got ${received.length})`,
            );

            consumer.seek({ topic, partition: 0, offset: "3" });
            await waitFor(
              () => received.length >= 27,
              () => `7 re-delivered messages (got ${received.length - 20})`,
            );
            const replayed = received.slice(20);
            assert.deepEqual(
              replayed.map((m) => `${m.partition}@${m.offset}`),
              range(7).map((i) => `0@${i + 3}`),
            );
            assert.deepEqual(
              replayed.map((m) => m.value),
              range(7).map((i) => `p0-${i + 3}`),
            );
          }),
      );

      it(
        "when a partition is paused, then it delivers nothing until resumed while the others continue",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("pause", 3);
            const received: Received[] = [];
            const consumer = clients.consumer(topicName(kind, "pause-group"));
            const assignment = trackAssignment(consumer, topic);
            await collectFromBeginning(consumer, topic, received);
            await waitFor(() => assignment.partitions()?.length === 3, "the consumer's assignment");

            consumer.pause([{ topic, partitions: [0] }]);
            assert.deepEqual(consumer.paused(), [{ topic, partitions: [0] }]);
            const countOn = (partition: number): number => received.filter((m) => m.partition === partition).length;
            for (const partition of [0, 1, 2]) {
              await clients.producer.send({
                topic,
                messages: range(5).map((i) => ({ value: `first-${partition}-${i}`, partition })),
              });
            }
            await waitFor(
              () => countOn(1) === 5 && countOn(2) === 5,
              () => `partitions 1 and 2 (got ${countOn(1)}, ${countOn(2)})`,
            );
            // More traffic on the others: several fetches go by while partition 0 holds data.
            for (const partition of [1, 2]) {
              await clients.producer.send({
                topic,
                messages: range(5).map((i) => ({ value: `second-${partition}-${i}`, partition })),
              });
            }
            await waitFor(
              () => countOn(1) === 10 && countOn(2) === 10,
              () => `second round (got ${countOn(1)}, ${countOn(2)})`,
            );
            assert.equal(countOn(0), 0, "the paused partition delivered messages");
            assert.equal(consumer.paused().length, 1);

            consumer.resume([{ topic, partitions: [0] }]);
            assert.deepEqual(consumer.paused(), []);
            await waitFor(
              () => countOn(0) === 5,
              () => `partition 0 after resume (got ${countOn(0)})`,
            );
            assert.deepEqual(
              received.filter((m) => m.partition === 0).map((m) => m.offset),
              ["0", "1", "2", "3", "4"],
            );
          }),
      );

      it(
        "when partitionsConsumedConcurrently is 3, then partitions are processed in parallel and each stays in order",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await createTopic("concurrent", 6);
            const perPartition = 30;
            await clients.producer.sendBatch({
              topicMessages: [
                {
                  topic,
                  messages: range(6).flatMap((partition) =>
                    range(perPartition).map((i) => ({ value: `${partition}-${i}`, partition })),
                  ),
                },
              ],
            });

            const inFlight = new Set<number>();
            let mostInFlight = 0;
            const overlaps: string[] = [];
            const delivered = new Map<number, string[]>();
            let total = 0;
            const consumer = clients.consumer(topicName(kind, "concurrent-group"));
            await consumer.connect();
            await consumer.subscribe({ topics: [topic], fromBeginning: true });
            await consumer.run({
              partitionsConsumedConcurrently: 3,
              eachMessage: async ({ partition, message }) => {
                if (inFlight.has(partition)) overlaps.push(`${partition}@${message.offset}`);
                inFlight.add(partition);
                mostInFlight = Math.max(mostInFlight, inFlight.size);
                // The first handlers are held until three partitions are in theirs at once, so the
                // overlap (and a fourth, were the limit not kept) shows however fast the machine.
                if (mostInFlight < 3)
                  await waitFor(
                    () => mostInFlight >= 3,
                    () => `3 partitions handled at once (most ${mostInFlight})`,
                  );
                else await new Promise((resolve) => setImmediate(resolve));
                const list = delivered.get(partition) ?? [];
                list.push(message.offset);
                delivered.set(partition, list);
                total++;
                inFlight.delete(partition);
              },
            });
            await waitFor(
              () => total >= 6 * perPartition,
              () => `${6 * perPartition} messages (got ${total})`,
            );

            assert.deepEqual(overlaps, [], "two messages of one partition were in flight at once");
            for (const partition of range(6)) {
              assert.deepEqual(
                delivered.get(partition),
                range(perPartition).map(String),
                `order on partition ${partition}`,
              );
            }
            assert.equal(mostInFlight, 3, "partitions in flight at once");
          }),
      );
    });
  }

  describe("both clients", () => {
    it("when the same keys are produced, then both put each key on the same partition", (t) => {
      const { kafkajs: reference, ours } = observed;
      if (!reference.keyPartitions || !ours.keyPartitions) return t.skip("a keyed scenario failed");
      assert.deepEqual(ours.keyPartitions, reference.keyPartitions);
    });

    it("when a send succeeds, then both resolve with the same RecordMetadata shape", (t) => {
      const { kafkajs: reference, ours } = observed;
      if (!reference.sendResult || !ours.sendResult) return t.skip("a keyed scenario failed");
      const shape = (result: RecordMetadata[]): unknown =>
        result
          .map((r) => ({
            ...r,
            topicName: "T",
            logAppendTime: typeof r.logAppendTime,
            logStartOffset: typeof r.logStartOffset,
            baseOffset: typeof r.baseOffset,
          }))
          .sort((a, b) => a.partition - b.partition);
      assert.deepEqual(shape(ours.sendResult), shape(reference.sendResult));
    });

    it("when the same records round-trip, then both deliver identical records", (t) => {
      const { kafkajs: reference, ours } = observed;
      if (!reference.roundTrip || !ours.roundTrip) return t.skip("a round-trip scenario failed");
      assert.deepEqual(ours.roundTrip, reference.roundTrip);
    });
  });
});
