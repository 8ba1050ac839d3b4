import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KafkaJSNonRetriableError } from "../../../broker/client/errors.ts";
import { Kafka } from "../../../broker/client/kafka.ts";
import { type LogEntry, logLevel } from "../../../broker/client/logger.ts";
import type { SASLOptions } from "../../../broker/client/types.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll, rejectionOf } from "./helpers.ts";

describe("Kafka", () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker?.cleanup());

  it("when ssl is asked for, then a KafkaJSNonRetriableError at once", () => {
    assert.throws(
      () => new Kafka({ brokers: [broker.address], ssl: true }),
      (error) => error instanceof KafkaJSNonRetriableError && /ssl is not supported/.test(error.message),
    );
  });

  it("when sasl names a mechanism this client lacks or no password, then a KafkaJSNonRetriableError at once", () => {
    const configs = [
      { mechanism: "oauthbearer", username: "u", password: "p" },
      { mechanism: "plain", username: "u" },
    ] as unknown as SASLOptions[];
    for (const sasl of configs) {
      assert.throws(
        () => new Kafka({ brokers: [broker.address], sasl }),
        (error) => error instanceof KafkaJSNonRetriableError && /SASL/.test(error.message),
      );
    }
    assert.doesNotThrow(
      () =>
        new Kafka({ brokers: [broker.address], sasl: { mechanism: "scram-sha-512", username: "u", password: "p" } }),
    );
  });

  it("when an app gives a logCreator and a level, then every client logs through it, under its own namespace", () => {
    const entries: LogEntry[] = [];
    const kafka = new Kafka({
      brokers: [broker.address],
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => entries.push(entry),
    });
    kafka.logger().info("root");
    kafka.producer().logger().info("from the producer");
    kafka.consumer({ groupId: "g" }).logger().debug("below the level");
    kafka.admin().logger().warn("from the admin");
    assert.deepEqual(
      entries.map((e) => [e.namespace, e.log.message]),
      [
        ["", "root"],
        ["Producer", "from the producer"],
        ["Admin", "from the admin"],
      ],
    );
  });

  it("when no client id is given, then requests carry kafkajs's default; when one is, then that", async () => {
    for (const [clientId, expected] of [
      [undefined, "kafkajs"],
      ["till-3", "till-3"],
    ] as const) {
      const admin = new Kafka({ brokers: [broker.address], clientId, logLevel: logLevel.NOTHING }).admin();
      const seen = new Set<string>();
      admin.on(admin.events.REQUEST, (event) => seen.add(event.payload.clientId));
      try {
        await admin.connect();
        await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
      assert.deepEqual([...seen], [expected]);
    }
  });

  it("when a producer and an admin are made, then each has its own connections: disconnecting one leaves the other working", async () => {
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    try {
      await Promise.all([producer.connect(), admin.connect()]);
      await admin.disconnect();
      const [sent] = await producer.send({ topic: "own-connections", messages: [{ value: "still sending" }] });
      assert.equal(sent?.errorCode, 0);
    } finally {
      await cleanupAll(
        () => producer.disconnect(),
        () => admin.disconnect(),
      );
    }
  });

  it("when the admin asks about a topic that does not exist, then it is not created, while a producer's send creates it", async () => {
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    // The controller creates the topic the send asked for; until then LEADER_NOT_AVAILABLE, which a producer retries.
    const producer = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).producer();
    try {
      await admin.connect();
      const error = await rejectionOf(admin.fetchTopicMetadata({ topics: ["asked-about"] }));
      assert.equal(error.type, "UNKNOWN_TOPIC_OR_PARTITION");
      assert.equal((await admin.listTopics()).includes("asked-about"), false);
      await producer.connect();
      await producer.send({ topic: "asked-about", messages: [{ value: "created by sending" }] });
      assert.equal((await admin.listTopics()).includes("asked-about"), true);
    } finally {
      await cleanupAll(
        () => producer.disconnect(),
        () => admin.disconnect(),
      );
    }
  });
});
