// The idempotent producer: a producer id from InitProducerId, per-partition sequence numbers
// that a retry keeps, one batch per partition in flight, and, the point of it all, a batch resent
// after its response was lost is stored once. The lost response is real: the connection is cut
// after the broker has answered and before the producer reads the answer.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Cluster } from "../../../../broker/client/cluster.ts";
import { KafkaJSConnectionClosedError } from "../../../../broker/client/errors.ts";
import type { BrokerConnection } from "../../../../broker/client/network/broker-connection.ts";
import type { Producer, RecordMetadata } from "../../../../broker/client/producer/index.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import type { ProduceRequest } from "../../../../broker/protocol/messages/index.ts";
import { fetchRequest } from "../../../helpers/requests.ts";
import { createTopic, intercept, ourProducer, readPartition, readTopic, waitFor } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const suite = useProduceSuite({ defaultProducer: false });

async function connected(idempotent: boolean): Promise<{ producer: Producer; cluster: Cluster }> {
  const made = ourProducer(suite.broker().address, { idempotent });
  suite.track(made.producer);
  await made.producer.connect();
  return made;
}

/** The connection the producer's Produce requests to the (single) broker go through. */
async function leaderConnection(cluster: Cluster): Promise<BrokerConnection> {
  return cluster.connectionTo(cluster.brokers[0]!.nodeId);
}

/** The first Produce request reaches the broker, which stores it; its answer is lost with the connection. */
function loseFirstProduceResponse(connection: BrokerConnection): () => boolean {
  let lost = false;
  intercept(connection, async (original, api, body, options) => {
    const response = await original(api, body, options);
    if (api.apiKey === Apis.Produce.apiKey && !lost) {
      lost = true;
      connection.disconnect();
      const [host, port] = connection.address.split(":");
      throw new KafkaJSConnectionClosedError(
        "Connection closed before the Produce response was read",
        host!,
        Number(port),
      );
    }
    return response;
  });
  return () => lost;
}

describe("idempotent producer", () => {
  it("when batches are sent, then they carry the producer id from InitProducerId and contiguous sequence numbers per partition", async () => {
    const topic = "sequenced";
    await createTopic(suite.broker().address, topic, 2);
    const { producer } = await connected(true);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 1 + round }, (_, i) =>
          producer.send({
            topic,
            messages: [
              { key: `k${i}`, value: `r${round}-${i}` },
              { key: `j${i}`, value: "x" },
            ],
          }),
        ),
      );
    }
    const stored = await readTopic(suite.broker().address, topic, 2);
    const producerIds = new Set(stored.flat().map((r) => r.batch.producerId));
    assert.equal(producerIds.size, 1);
    assert.ok([...producerIds][0]! >= 0n, "a real producer id");
    for (const records of stored) {
      let expectedSequence = 0;
      for (const record of records) {
        const { batch } = record;
        if (record.offset !== batch.baseOffset) continue;
        assert.equal(batch.producerEpoch, 0);
        assert.equal(batch.baseSequence, expectedSequence, `batch at offset ${batch.baseOffset}`);
        expectedSequence += batch.recordCount;
      }
      assert.equal(expectedSequence, records.length);
    }
  });

  it("when the response to a batch is lost and the producer resends it, then the broker stores it once and the send gets the original offset", async () => {
    const topic = "deduplicated";
    await createTopic(suite.broker().address, topic, 1);
    const { producer, cluster } = await connected(true);
    const wasLost = loseFirstProduceResponse(await leaderConnection(cluster));
    const [first] = await producer.send({ topic, messages: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    assert.ok(wasLost(), "the first response was lost");
    assert.equal(first!.baseOffset, "0");
    const [second] = await producer.send({ topic, messages: [{ value: "d" }] });
    assert.equal(second!.baseOffset, "3");
    const stored = await readPartition(suite.broker().address, topic, 0);
    assert.deepEqual(
      stored.map((r) => r.value!.toString()),
      ["a", "b", "c", "d"],
    );
  });

  it("when a send is given up after the broker stored it, then the next send gets a new producer id and is stored, not taken for a duplicate", async () => {
    const topic = "given-up";
    await createTopic(suite.broker().address, topic, 1);
    const made = ourProducer(suite.broker().address, { idempotent: true, retry: { retries: 1 } });
    suite.track(made.producer);
    await made.producer.connect();
    // Every answer to the first send (the attempt and its one retry) is lost after the broker
    // stored the batch; the connection stays up, as after a request timeout.
    const connection = await leaderConnection(made.cluster);
    let lost = 0;
    intercept(connection, async (original, api, body, options) => {
      const response = await original(api, body, options);
      if (api.apiKey === Apis.Produce.apiKey && lost < 2) {
        lost++;
        const [host, port] = connection.address.split(":");
        throw new KafkaJSConnectionClosedError("the Produce response was lost", host!, Number(port));
      }
      return response;
    });
    await assert.rejects(made.producer.send({ topic, messages: [{ value: "a" }] }));
    assert.equal(lost, 2, "both answers were lost after the broker stored the batch");
    const [second] = await made.producer.send({ topic, messages: [{ value: "b" }] });
    assert.equal(second!.baseOffset, "1");
    const stored = await readPartition(suite.broker().address, topic, 0);
    assert.deepEqual(
      stored.map((r) => r.value!.toString()),
      ["a", "b"],
    );
    assert.notEqual(stored[0]!.batch.producerId, stored[1]!.batch.producerId);
    assert.equal(stored[1]!.batch.baseSequence, 0);
  });

  it("when the same loss happens to a producer that is not idempotent, then the resent batch is stored twice (the case idempotence exists for)", async () => {
    const topic = "duplicated";
    await createTopic(suite.broker().address, topic, 1);
    const { producer, cluster } = await connected(false);
    const wasLost = loseFirstProduceResponse(await leaderConnection(cluster));
    const [first] = await producer.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
    assert.ok(wasLost());
    assert.equal(first!.baseOffset, "2");
    const stored = await readPartition(suite.broker().address, topic, 0);
    assert.deepEqual(
      stored.map((r) => r.value!.toString()),
      ["a", "b", "a", "b"],
    );
  });

  it("when a Produce request times out after the broker stored it, then REQUEST_TIMEOUT fires and the resend is stored once", async () => {
    const [topic, idleTopic] = ["timed-out", "timed-out-idle"];
    await createTopic(suite.broker().address, topic, 1);
    await createTopic(suite.broker().address, idleTopic, 1);
    const made = ourProducer(suite.broker().address, { idempotent: true }, { requestTimeout: 800 });
    suite.track(made.producer);
    const { producer, cluster } = made;
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "warm-up" }] });
    const timeouts: { apiName: string; broker: string; correlationId: number }[] = [];
    producer.on(producer.events.REQUEST_TIMEOUT, (e) => {
      timeouts.push(e.payload);
    });
    const waker = ourProducer(suite.broker().address);
    suite.track(waker.producer);
    await waker.producer.connect();
    const connection = await leaderConnection(cluster);
    // A broker answers one connection's requests in order: a Fetch long-polling an idle topic holds
    // back the answer to the Produce sent after it, which the broker stores meanwhile. The Fetch is
    // answered when the test writes to the idle topic, once the Produce has timed out.
    const heldBack = connection.request(
      Apis.Fetch,
      fetchRequest([{ topic: idleTopic, partition: 0, fetchOffset: 0n }], { maxWaitMs: 60_000, maxBytes: 1024 }),
      { extraTimeout: 60_000 },
    );
    const sent = producer.send({ topic, messages: [{ value: "once" }] });
    await waitFor(() => timeouts.some((t) => t.apiName === "Produce"), "a Produce request timing out");
    await waker.producer.send({ topic: idleTopic, messages: [{ value: "wake the fetch" }] });
    const [result] = await sent;
    await heldBack;
    assert.equal(result!.baseOffset, "1");
    const produceTimeouts = timeouts.filter((t) => t.apiName === "Produce");
    assert.ok(produceTimeouts.length >= 1, `expected a Produce timeout, got ${JSON.stringify(timeouts)}`);
    assert.ok(timeouts.every((t) => t.broker === connection.address && Number.isInteger(t.correlationId)));
    assert.equal(
      new Set(produceTimeouts.map((t) => t.correlationId)).size,
      produceTimeouts.length,
      "each resend is a request of its own",
    );
    assert.deepEqual(
      (await readPartition(suite.broker().address, topic, 0)).map((r) => r.value!.toString()),
      ["warm-up", "once"],
    );
  });

  for (const idempotent of [true, false]) {
    it(`when sends keep coming while requests are in flight, then ${idempotent ? "at most one" : "(not idempotent) more than one"} batch per partition is in flight`, async () => {
      const topic = `in-flight-${idempotent}`;
      await createTopic(suite.broker().address, topic, 2);
      const { producer, cluster } = await connected(idempotent);
      const inFlight = new Map<number, number>();
      let mostInFlight = 0;
      let everySendMade = false;
      // Answers are held until the producer has had its chance to overlap requests, whatever the
      // machine's speed: not idempotent, until a second request for a partition is in flight (it
      // must come, as sends keep queueing behind the held answer); idempotent, until every send has
      // been made behind the first held answer (a second request must never come).
      const released = (): boolean => mostInFlight >= 2 || (idempotent && everySendMade);
      intercept(await leaderConnection(cluster), async (original, api, body, options) => {
        if (api.apiKey !== Apis.Produce.apiKey) return original(api, body, options);
        const partitions = (body as ProduceRequest).topicData.flatMap((t) => t.partitionData.map((p) => p.index));
        for (const p of partitions) {
          inFlight.set(p, (inFlight.get(p) ?? 0) + 1);
          mostInFlight = Math.max(mostInFlight, inFlight.get(p)!);
        }
        try {
          const response = await original(api, body, options);
          await waitFor(released, () => `a second Produce request for a partition in flight (most ${mostInFlight})`);
          return response;
        } finally {
          for (const p of partitions) inFlight.set(p, inFlight.get(p)! - 1);
        }
      });
      const sends: Promise<RecordMetadata[]>[] = [];
      for (let i = 0; i < 300; i++) {
        sends.push(producer.send({ topic, messages: [{ key: `k${i % 10}`, value: String(i) }] }));
        // The rest come while the first request is in flight (its answer held), not before it is
        // made: sends made meanwhile would all ride in that one request.
        if (i === 0) await waitFor(() => mostInFlight >= 1, "the first Produce request in flight");
        else await new Promise((resolve) => setImmediate(resolve));
      }
      everySendMade = true;
      await Promise.all(sends);
      if (idempotent) assert.equal(mostInFlight, 1);
      else assert.ok(mostInFlight > 1, `pipelined requests overlap (most in flight: ${mostInFlight})`);
      const stored = await readTopic(suite.broker().address, topic, 2);
      assert.equal(stored.flat().length, 300);
      // Per key, the order of the sends is kept.
      for (const records of stored) {
        const byKey = new Map<string, number[]>();
        for (const r of records) {
          const key = r.key!.toString();
          byKey.set(key, [...(byKey.get(key) ?? []), Number(r.value!.toString())]);
        }
        for (const [key, values] of byKey)
          assert.deepEqual(
            values,
            [...values].sort((a, b) => a - b),
            `order of ${key}`,
          );
      }
    });
  }
});
