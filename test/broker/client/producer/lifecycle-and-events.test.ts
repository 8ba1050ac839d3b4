// The producer against a real broker process: sends before connect and after disconnect, a
// disconnect while a send is retrying, and kafkajs's events (CONNECT, DISCONNECT, REQUEST) with
// kafkajs's payloads.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestEventFields } from "../helpers.ts";
import { createTopic, ourProducer, waitFor } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const suite = useProduceSuite({ topics: ["readback"] });

describe("producer lifecycle and events", () => {
  it("when the producer is not connected or disconnected, then sends reject with kafkajs's error", async () => {
    const { producer } = ourProducer(suite.broker().address);
    suite.track(producer);
    await assert.rejects(producer.send({ topic: "readback", messages: [{ value: "v" }] }), {
      name: "KafkaJSError",
      message: "The producer is disconnected",
    });
    await producer.connect();
    await producer.send({ topic: "readback", messages: [{ value: "v" }] });
    await producer.disconnect();
    await assert.rejects(producer.send({ topic: "readback", messages: [{ value: "v" }] }), {
      name: "KafkaJSError",
      message: "The producer is disconnected",
    });
  });

  it("when the producer disconnects while a send is retrying, then the send rejects at once", async () => {
    const { producer } = ourProducer(suite.broker().address, { retry: { retries: 100, initialRetryTime: 200 } });
    suite.track(producer);
    await producer.connect();
    await createTopic(suite.broker().address, "retrying", 1);
    let metadataRequests = 0;
    producer.on(producer.events.REQUEST, (event) => {
      if (event.payload.apiName === "Metadata") metadataRequests++;
    });
    const pending = producer.send({ topic: "retrying", messages: [{ value: "never", partition: 5 }] });
    const outcome = pending.then(
      () => "resolved",
      (e: Error) => e.name,
    );
    // A retry looks the partition up again. Two lookups answered after the send (the first may be
    // the send's own lookup of the new topic) mean at least one retry has begun.
    const lookupsBefore = metadataRequests;
    await waitFor(() => metadataRequests >= lookupsBefore + 2, "a metadata refresh for a retry");
    await producer.disconnect();
    assert.equal(await outcome, "KafkaJSNonRetriableError");
  });

  it("when listeners are registered, then CONNECT, DISCONNECT and a REQUEST per request (ApiVersions and Metadata too) arrive in kafkajs's shape, and removal stops them", async () => {
    const { producer } = ourProducer(suite.broker().address);
    suite.track(producer);
    const seen: { type: string; payload: any }[] = [];
    producer.on(producer.events.CONNECT, (e) => {
      seen.push(e);
    });
    producer.on(producer.events.DISCONNECT, (e) => {
      seen.push(e);
    });
    const removeRequest = producer.on(producer.events.REQUEST, (e) => {
      seen.push(e);
    });
    assert.throws(() => producer.on("producer.nonsense" as never, () => undefined), {
      name: "KafkaJSNonRetriableError",
      message: /Event name should be one of producer.events.CONNECT/,
    });
    await producer.connect();
    await producer.send({ topic: "readback", messages: [{ value: "evented" }] });
    removeRequest();
    await producer.send({ topic: "readback", messages: [{ value: "unheard" }] });
    await producer.disconnect();

    assert.deepEqual(
      seen.filter((e) => e.type !== "producer.network.request").map((e) => e.type),
      ["producer.connect", "producer.disconnect"],
    );
    const produceAt = seen.findIndex((e) => e.payload?.apiName === "Produce");
    assert.ok(seen.findIndex((e) => e.type === "producer.connect") < produceAt && produceAt < seen.length - 1);
    const requests = seen.filter((e) => e.type === "producer.network.request").map((e) => e.payload);
    assert.deepEqual([...new Set(requests.map((r) => r.apiName))], ["ApiVersions", "Metadata", "Produce"]);
    assert.equal(requests.filter((r) => r.apiName === "Produce").length, 1, "only the send made while listening");
    assert.equal(
      new Set(requests.map((r) => `${r.broker} ${r.correlationId}`)).size,
      requests.length,
      "each request its own correlation id",
    );
    assert.equal(requests[0].correlationId, 0, "ApiVersions opens the connection");
    const produce = requests.find((r) => r.apiName === "Produce");
    assert.deepEqual(Object.keys(produce).sort(), requestEventFields);
    assert.deepEqual(
      [produce.apiKey, produce.apiVersion, produce.broker, produce.clientId],
      [0, 7, suite.broker().address, "producer-test"],
    );
    for (const field of ["correlationId", "createdAt", "sentAt", "duration", "pendingDuration", "size"]) {
      assert.ok(Number.isInteger(produce[field]) && produce[field] >= 0, field);
    }
    assert.ok(produce.size > 0, "the response's size");
  });
});
