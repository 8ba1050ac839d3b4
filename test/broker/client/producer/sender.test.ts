// The sender on its own against a real broker, with its leader connection's Produce requests
// failing on purpose: what a retriable failure does (the same encoded batch is sent again after
// the backoff) and what running out of retries looks like (kafkajs's error, retry count and delay).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cluster } from "../../../../broker/client/cluster.ts";
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from "../../../../broker/client/errors.ts";
import { producerEvents } from "../../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../../broker/client/instrumentation.ts";
import { type RetrySchedule, Sender } from "../../../../broker/client/producer/sender.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import type { ProduceRequest } from "../../../../broker/protocol/messages/index.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { ourCluster } from "../helpers.ts";
import { createTopic, intercept, readPartition, silentLogger } from "./helpers.ts";

let broker: BrokerProcess;
const clusters: Cluster[] = [];

before(async () => {
  broker = await startBroker();
});

after(async () => {
  for (const cluster of clusters) cluster.disconnect();
  await broker?.cleanup();
});

const retry: RetrySchedule = { retries: 2, initialRetryTime: 10, maxRetryTime: 50, factor: 0.2, multiplier: 2 };

/** A sender to a one-partition topic whose first `failures` Produce requests fail before reaching the broker. */
async function senderFailing(topic: string, failures: number) {
  await createTopic(broker.address, topic, 1);
  const cluster = ourCluster(broker.address, { clientId: "sender-test" });
  clusters.push(cluster);
  await cluster.connect();
  await cluster.addTargetTopics([topic]);
  const sent: Buffer[] = [];
  const connection = await cluster.connectionTo(cluster.topicMetadata(topic).partitions[0]!.leader);
  intercept(connection, async (original, api, body, options) => {
    if (api.apiKey === Apis.Produce.apiKey) {
      sent.push((body as ProduceRequest).topicData[0]!.partitionData[0]!.records as Buffer);
      if (sent.length <= failures) throw new KafkaJSConnectionError("the test broke this request");
    }
    return original(api, body, options);
  });
  const sender = new Sender({
    cluster,
    logger: silentLogger,
    instrumentation: new InstrumentationEmitter(producerEvents, "producer", silentLogger),
    clientId: "sender-test",
    partitioner: () => 0,
    retry,
    idempotent: false,
    identity: { producerId: -1n, producerEpoch: -1 },
    maxInFlightRequests: Number.POSITIVE_INFINITY,
    linger: 0,
    maxBatchBytes: 1_000_000,
    metadataMaxAge: 300_000,
  });
  return { sender, sent };
}

const options = { acks: -1, timeout: 30_000, compression: 0 };

describe("Sender", () => {
  it("when a Produce request fails with a retriable error, then the same encoded batch is sent again and the send resolves", async () => {
    const topic = "sender-retried";
    const { sender, sent } = await senderFailing(topic, 1);
    const result = await sender.send([{ topic, messages: [{ value: "once" }, { value: "twice" }] }], options);
    assert.equal(sent.length, 2);
    assert.equal(sent[1], sent[0], "the batch is not encoded again");
    assert.deepEqual(
      result.map((r) => [r.topicName, r.partition, r.baseOffset]),
      [[topic, 0, "0"]],
    );
    const stored = await readPartition(broker.address, topic, 0);
    assert.deepEqual(
      stored.map((r) => r.value?.toString()),
      ["once", "twice"],
    );
  });

  it("when every attempt fails, then after `retries` resends the send fails with KafkaJSNumberOfRetriesExceeded and the backoff's last delay", async () => {
    const topic = "sender-exhausted";
    const { sender, sent } = await senderFailing(topic, Number.POSITIVE_INFINITY);
    const error = await sender.send([{ topic, messages: [{ value: "never" }] }], options).then(
      () => assert.fail("the send should fail"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof KafkaJSNumberOfRetriesExceeded);
    assert.equal(error.retryCount, 2);
    assert.ok(error.cause instanceof KafkaJSConnectionError);
    // 10 ± 20 % → 8..12; then randomised and doubled: 14..30; then 24..50 (capped at maxRetryTime).
    assert.ok(error.retryTime >= 24 && error.retryTime <= 50, `retryTime ${error.retryTime}`);
    assert.equal(sent.length, 3);
  });
});
