// Snapshots of consumer groups from a real broker's admin API: an unknown group, a member's decoded
// assignment and commits, and a 503 while the broker is gone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createKafkaGroupInspector } from "../../../apps/points-api/group-inspector.ts";
import { ensureTopics } from "../../../apps/shared/consumer-service.ts";
import { AppError } from "../../../apps/shared/errors.ts";
import { createKafka, type KafkaClient, type KafkaClientConsumer } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll, cleanupAllWithin, range, waitFor } from "../../helpers/wait.ts";

const TOPIC = "inspected";

describe("points-api group inspector", () => {
  let broker: BrokerProcess;
  let kafka: KafkaClient;
  let admin: ReturnType<KafkaClient["admin"]>;
  let consumer: KafkaClientConsumer | undefined;

  before(async () => {
    broker = await startBroker({ config: { "group.initial.rebalance.delay.ms": 0 } });
    kafka = await createKafka({ clientId: "inspector-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [TOPIC], 2);
    admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
    await admin.connect();
  });
  after(async () => {
    await cleanupAll(
      () => cleanupAllWithin(5000, () => consumer?.disconnect()),
      () => admin?.disconnect(),
      () => broker?.cleanup(),
    );
  });

  it("when a group was never seen, then it is Dead, without members or commits, with the topic's log ends", async () => {
    const snapshot = await createKafkaGroupInspector(admin).snapshot("nobody", TOPIC);
    assert.equal(snapshot.state, "Dead");
    assert.deepEqual(snapshot.members, []);
    assert.deepEqual(
      snapshot.committed.map((c) => c.offset),
      ["-1", "-1"],
    );
    assert.deepEqual(
      [...snapshot.ends].sort((a, b) => a.partition - b.partition),
      range(2).map((partition) => ({ partition, high: "0", low: "0" })),
    );
  });

  it("when a member consumes and commits, then its decoded assignment and the committed offset are in the snapshot", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: [
        { partition: 1, value: "a" },
        { partition: 1, value: "b" },
      ],
    });
    await producer.disconnect();
    consumer = kafka.consumer({ groupId: "g1", sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.offset) });
    await waitFor(() => seen.length === 2, { message: () => `the consumer read 2 records (read ${seen.length})` });
    await consumer.commitOffsets([{ topic: TOPIC, partition: 1, offset: "1" }]);

    const inspector = createKafkaGroupInspector(admin);
    let snapshot = await inspector.snapshot("g1", TOPIC);
    await waitFor(
      async () => {
        snapshot = await inspector.snapshot("g1", TOPIC);
        return snapshot.state === "Stable" && snapshot.members.length === 1;
      },
      { message: () => `a stable group with one member, got ${JSON.stringify(snapshot)}` },
    );
    assert.deepEqual([...snapshot.members[0]!.assignment[TOPIC]!].sort(), [0, 1]);
    assert.equal(snapshot.committed.find((c) => c.partition === 1)?.offset, "1");
    assert.equal(snapshot.ends.find((e) => e.partition === 1)?.high, "2");
  });

  it("when the broker is gone, then the snapshot fails with a 503 naming the group", async () => {
    await cleanupAllWithin(5000, () => consumer?.disconnect());
    consumer = undefined;
    await broker.stop();
    try {
      const error = await createKafkaGroupInspector(admin)
        .snapshot("g1", TOPIC)
        .then(
          () => assert.fail("a snapshot without a broker"),
          (e: unknown) => e,
        );
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.status, 503);
      assert.match(error.message, /^broker unavailable: could not describe group g1/);
    } finally {
      await broker.restart();
    }
  });
});
