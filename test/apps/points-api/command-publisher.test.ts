// Publishing accepted commands to points.commands on a real broker: where they land, keyed by
// userId (or not, for the lab), only valid commands, and a 503 while the broker is gone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createKafkaCommandPublisher } from "../../../apps/points-api/command-publisher.ts";
import { ensureTopics } from "../../../apps/shared/consumer-service.ts";
import { AppError } from "../../../apps/shared/errors.ts";
import { COMMANDS_TOPIC, type PointsCommand } from "../../../apps/shared/topics.ts";
import { createKafka, type KafkaClient } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll } from "../../helpers/wait.ts";
import { CommandsTap, endOffsets } from "./helpers.ts";

const command = (commandId: string, over: Partial<PointsCommand> = {}): PointsCommand => ({
  commandId,
  type: "charge",
  userId: "u1",
  amount: 10,
  storeId: "s1",
  terminalId: "t1",
  issuedAt: "2026-01-01T10:00:00.000Z",
  ...over,
});

describe("points-api command publisher", () => {
  let broker: BrokerProcess;
  let kafka: KafkaClient;
  let producer: ReturnType<KafkaClient["producer"]>;
  let tap: CommandsTap | undefined;

  before(async () => {
    broker = await startBroker();
    kafka = await createKafka({ clientId: "publisher-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [COMMANDS_TOPIC], 3);
    // Quick to give up, as points-api's own producer is.
    producer = kafka.producer({ idempotent: true, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
    await producer.connect();
    tap = await CommandsTap.start(broker.address);
  });
  after(async () => {
    await cleanupAll(
      () => tap?.stop(),
      () => producer?.disconnect(),
      () => broker?.cleanup(),
    );
  });

  it("when a command is published, then it is at the returned partition and offset, keyed by userId, the command as its value", async () => {
    const publisher = createKafkaCommandPublisher(producer);
    const first = await publisher.publish(command("c1", { userId: "alice" }));
    const second = await publisher.publish(command("c2", { userId: "alice" }));
    assert.equal(second.partition, first.partition, "one user's commands share a partition");
    assert.equal(BigInt(second.offset), BigInt(first.offset) + 1n);
    const record = await tap!.waitForRecordAt(first.partition, first.offset);
    assert.equal(record.key, "alice");
    assert.deepEqual(JSON.parse(record.value), command("c1", { userId: "alice" }));
  });

  it("when the lab publishes unkeyed, then the record has no key", async () => {
    const at = await createKafkaCommandPublisher(producer, "none").publish(command("c3"));
    assert.equal((await tap!.waitForRecordAt(at.partition, at.offset)).key, null);
  });

  it("when another commands topic is configured (after a migration), then commands go there, keyed as before", async () => {
    await ensureTopics(kafka, ["points.commands.v2"], 3);
    const at = await createKafkaCommandPublisher(producer, "userId", "points.commands.v2").publish(command("c6"));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets("points.commands.v2");
      assert.equal(ends.find((p) => p.partition === at.partition)?.high, String(BigInt(at.offset) + 1n));
      assert.equal(
        ends.reduce((sum, p) => sum + Number(p.high), 0),
        1,
      );
    } finally {
      await admin.disconnect();
    }
  });

  it("when a command is not one the ledger would take, then it is refused and nothing is produced", async () => {
    const before = await endOffsets(broker.address);
    await assert.rejects(createKafkaCommandPublisher(producer).publish(command("c4", { amount: -5 })));
    assert.deepEqual(await endOffsets(broker.address), before);
  });

  it("when the broker is gone, then publishing fails with a 503 saying the command was not written", async () => {
    // The tap would keep rejoining its group through the outage: it has seen all it needs to.
    await tap?.stop();
    tap = undefined;
    await broker.stop();
    try {
      const error = await createKafkaCommandPublisher(producer)
        .publish(command("c5"))
        .then(
          () => assert.fail("published without a broker"),
          (e: unknown) => e,
        );
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.status, 503);
      assert.match(error.message, /^broker unavailable: the command was not written to points\.commands, try again/);
    } finally {
      await broker.restart();
    }
  });
});
