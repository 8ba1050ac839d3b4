// The frame every consumer service runs in, on a real broker and SQLite file: setup before
// consuming, one handleBatch call per fetched batch (or one handleBatches call per group of them) in
// offset order, offsets committed once a batch is handled, teardown on stop; its batch metrics,
// scraped over HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../../apps/shared/config.ts";
import {
  type BatchOf,
  type ConsumerServiceDefinition,
  type RunningService,
  startConsumerService,
} from "../../../apps/shared/consumer-service.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { createKafka, type KafkaClient } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { quickGroupBrokerConfig } from "../../broker/client/helpers.ts";
import { type AppEnv, createAppEnv } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { sampleSum, scrape } from "../../helpers/prometheus.ts";
import { cleanupAll, range, waitFor } from "../../helpers/wait.ts";

const TOPIC = "frame.test";
const GROUPS_TOPIC = "frame.groups.test";
const PARTITIONS = 2;

describe("consumer service frame", () => {
  let broker: BrokerProcess;
  let app: AppEnv;
  let kafka: KafkaClient;
  let service: RunningService | undefined;

  before(async () => {
    broker = await startBroker({ config: quickGroupBrokerConfig });
    app = createAppEnv(broker.address, { POINTS_PARTITIONS: String(PARTITIONS) });
    kafka = await createKafka({ clientId: "frame-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
  });
  /** Waits until `groupId` has committed `offset` on every partition of `topic`. */
  const waitForCommitted = async (groupId: string, topic: string, offset: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return committed!.partitions.every((p) => p.offset === offset);
        },
        { message: `${groupId}: every partition of ${topic} committed up to ${offset}` },
      );
    } finally {
      await admin.disconnect();
    }
  };

  after(async () => {
    await cleanupAll(
      () => service?.stop(),
      () => broker?.cleanup(),
      () => app?.cleanup(),
    );
  });

  it("when records are on its topic, then setup runs first, each batch is handled in offset order, offsets are committed after, and stop runs teardown", async () => {
    const calls: string[] = [];
    const batches: BatchOf[] = [];
    const lines: string[] = [];
    const definition: ConsumerServiceDefinition = {
      name: "frame",
      groupId: "frame-group",
      topic: TOPIC,
      async setup(ctx) {
        calls.push("setup");
        assert.equal(typeof ctx.db.$transaction, "function", "the context has the database");
      },
      async handleBatch(batch) {
        calls.push("batch");
        batches.push(batch);
      },
      async teardown() {
        calls.push("teardown");
      },
    };
    service = await startConsumerService(
      definition,
      loadConfig(app.env()),
      createLog("frame", (line) => lines.push(line)),
    );
    assert.deepEqual(calls, ["setup"], "setup before anything is consumed");

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: range(6).map((i) => ({ partition: i % PARTITIONS, value: `v${i}` })),
    });
    await producer.disconnect();

    const handled = () => batches.flatMap((b) => b.messages.map((m) => `${b.partition}:${m.value}`));
    await waitFor(() => handled().length === 6, { message: () => `6 records handled, got ${handled().join(" ")}` });
    for (const partition of range(PARTITIONS)) {
      assert.deepEqual(
        handled().filter((h) => h.startsWith(`${partition}:`)),
        range(6)
          .filter((i) => i % PARTITIONS === partition)
          .map((i) => `${partition}:v${i}`),
      );
    }
    assert.ok(batches.every((b) => b.topic === TOPIC && b.messages.length > 0));
    assert.deepEqual(service.assignment(), range(PARTITIONS));

    await waitForCommitted("frame-group", TOPIC, "3");

    const metricsUrl = service.metricsUrl!;
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.ok(
      lines.some((line) => line.includes(`metrics: ${metricsUrl}`)),
      lines.join(""),
    );
    const samples = await scrape(metricsUrl);
    const topic = { topic: TOPIC, service: "frame" };
    assert.equal(sampleSum(samples, "points_consumer_batches_total", topic), batches.length);
    assert.equal(sampleSum(samples, "points_consumer_batch_records_sum", topic), 6);
    assert.equal(sampleSum(samples, "points_consumer_batch_records_count", topic), batches.length);
    assert.equal(
      sampleSum(samples, "points_consumer_handle_batch_seconds_count", { ...topic, result: "ok" }),
      batches.length,
    );

    await service.stop();
    service = undefined;
    await assert.rejects(fetch(metricsUrl), "the metrics listener closes with the service");
    assert.equal(calls.at(-1), "teardown");
    assert.ok(
      lines.some((line) => line.includes("consuming frame.test as group frame-group")),
      lines.join(""),
    );
    assert.ok(
      lines.some((line) => line.includes("stopped")),
      lines.join(""),
    );
  });

  it("when a service handles groups of batches, then each call holds at most one batch per partition, every record comes once in order, and offsets are committed after", async () => {
    const calls: BatchOf[][] = [];
    let gateOpen!: () => void;
    const firstCallHeld = new Promise<void>((resolve) => (gateOpen = resolve));
    const definition: ConsumerServiceDefinition = {
      name: "frame-groups",
      groupId: "frame-groups",
      topic: GROUPS_TOPIC,
      async handleBatches(group) {
        calls.push(group);
        // The first call is held while more records arrive: what is fetched meanwhile waits for it.
        if (calls.length === 1) await firstCallHeld;
      },
    };
    service = await startConsumerService(
      definition,
      loadConfig(app.env()),
      createLog("frame-groups", () => {}),
    );
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, count: number) =>
      producer.send({
        topic: GROUPS_TOPIC,
        acks: -1,
        messages: range(count).map((i) => ({ partition: (from + i) % PARTITIONS, value: `g${from + i}` })),
      });
    await send(0, 1);
    await waitFor(() => calls.length === 1, { message: "the first group handed over" });
    await send(1, 5);
    gateOpen();

    const handled = () => calls.flat().flatMap((b) => b.messages.map((m) => `${b.partition}:${m.value}`));
    await waitFor(() => handled().length === 6, { message: () => `6 records handled, got ${handled().join(" ")}` });
    await producer.disconnect();
    for (const group of calls) {
      const partitions = group.map((b) => b.partition);
      assert.equal(new Set(partitions).size, partitions.length, `one batch per partition in a call: ${partitions}`);
    }
    for (const partition of range(PARTITIONS)) {
      assert.deepEqual(
        handled().filter((h) => h.startsWith(`${partition}:`)),
        range(6)
          .filter((i) => i % PARTITIONS === partition)
          .map((i) => `${partition}:g${i}`),
      );
    }
    await waitForCommitted("frame-groups", GROUPS_TOPIC, "3");
    await service.stop();
    service = undefined;
  });
});
