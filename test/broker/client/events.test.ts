import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka as KafkajsKafka, logLevel } from "kafkajs";
import { adminEvents, consumerEvents, producerEvents } from "../../../broker/client/events.ts";

describe("instrumentation event names", () => {
  // Building kafkajs clients connects to nothing; their `events` are plain objects.
  const kafkajs = new KafkajsKafka({ brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING });

  it("when compared with kafkajs's producer, consumer and admin events, then the same names and values, in the same order", () => {
    const pairs = [
      [producerEvents, kafkajs.producer().events],
      [consumerEvents, kafkajs.consumer({ groupId: "g" }).events],
      [adminEvents, kafkajs.admin().events],
    ] as const;
    for (const [ours, theirs] of pairs) {
      // The order shows in the error for an unknown event name, which lists them all.
      const kafkajsEntries = Object.entries(theirs);
      assert.deepEqual(Object.entries(ours).slice(0, kafkajsEntries.length), kafkajsEntries);
    }
  });

  it("when our consumer's extension events are listed, then they follow kafkajs's, in kafkajs's naming style", () => {
    const kafkajsCount = Object.keys(kafkajs.consumer({ groupId: "g" }).events).length;
    assert.deepEqual(Object.entries(consumerEvents).slice(kafkajsCount), [
      ["PARTITIONS_ASSIGNED", "consumer.partitions_assigned"],
      ["PARTITIONS_REVOKED", "consumer.partitions_revoked"],
    ]);
    assert.equal(Object.keys(producerEvents).length, Object.keys(kafkajs.producer().events).length);
    assert.equal(Object.keys(adminEvents).length, Object.keys(kafkajs.admin().events).length);
  });

  it("when an app holds them, then they cannot be changed", () => {
    for (const events of [producerEvents, consumerEvents, adminEvents]) assert.ok(Object.isFrozen(events));
  });
});
