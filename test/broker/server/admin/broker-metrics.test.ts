import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Producer } from "kafkajs";
import { BrokerMetrics } from "../../../../broker/server/admin/broker-metrics.ts";
import { EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { cleanupAll, kafkajsClient, quickGroupBrokerConfig } from "../../client/helpers.ts";
import { getJson, parsePrometheus } from "./admin-fixture.ts";

describe("BrokerMetrics counting from the journal", () => {
  it("when rebalances complete and ISRs change, then each group's rebalances and this leader's ISR changes are counted", async () => {
    const journal = new EventJournal({ broker: 1 });
    const metrics = new BrokerMetrics({ nodeId: 1, events: journal, state: () => undefined });
    journal.record({ kind: "rebalance-completed", cause: "joined", group: "ledger", generation: 1 });
    journal.record({ kind: "rebalance-completed", cause: "left", group: "ledger", generation: 2 });
    journal.record({ kind: "rebalance-completed", cause: "joined", group: "notify", generation: 1 });
    journal.record({
      kind: "isr-shrank",
      cause: "broker 2 fell behind",
      topic: "t",
      partition: 0,
      leader: 1,
      isr: [1],
    });
    journal.record({
      kind: "isr-shrank",
      cause: "broker 1 fell behind",
      topic: "t",
      partition: 1,
      leader: 2,
      isr: [2],
    });
    journal.record({ kind: "isr-expanded", cause: "broker 2 caught up", topic: "t", partition: 0, leader: 1 });
    const samples = parsePrometheus((await metrics.scrape()).text);
    metrics.close();
    assert.equal(samples.get('kafka_coordinator_group_rebalances_total{group="ledger"}'), 2);
    assert.equal(samples.get('kafka_coordinator_group_rebalances_total{group="notify"}'), 1);
    assert.equal(
      samples.get("kafka_server_replicamanager_isrshrinks_total"),
      1,
      "the shrink led by broker 2 is its own",
    );
    assert.equal(samples.get("kafka_server_replicamanager_isrexpands_total"), 1);
    assert.equal(samples.get("kafka_controller_kafkacontroller_activecontrollercount"), 0, "no state: nothing active");
  });

  it("when two brokers' metrics live in one process, then each keeps its own registry", async () => {
    const [a, b] = [0, 1].map(
      (nodeId) => new BrokerMetrics({ nodeId, events: new EventJournal({ broker: nodeId }), state: () => undefined }),
    );
    a!.produced("t", 100, 4);
    const countOf = async (metrics: BrokerMetrics) =>
      parsePrometheus((await metrics.scrape()).text).get('kafka_server_brokertopicmetrics_messagesin_total{topic="t"}');
    assert.equal(await countOf(a!), 4);
    assert.equal(await countOf(b!), undefined);
  });
});

describe("the /metrics of a broker process under load", () => {
  const cleanups: Array<() => unknown> = [];
  // Registered before the broker's own after hook, so members leave while the broker still runs.
  after(() => cleanupAll(...cleanups));
  const broker = useBroker({ adminPort: 0, config: { ...quickGroupBrokerConfig, "offsets.topic.num.partitions": 3 } });
  const topic = "metered";
  let admin: Admin;
  let producer: Producer;
  const scrape = async (): Promise<Map<string, number>> =>
    parsePrometheus(await (await fetch(`${broker.adminUrl}/metrics`)).text());
  const sample = (samples: Map<string, number>, key: string): number => samples.get(key) ?? 0;

  before(async () => {
    const kafka = kafkajsClient(broker.address, "metrics-test");
    admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
  });

  it("when records are produced, then bytes in, messages in and the Produce request count move by what was sent", async () => {
    await withBrokerLog(broker, async () => {
      const before = await scrape();
      const value = "x".repeat(100);
      for (let round = 0; round < 3; round += 1)
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value })) });
      const after = await scrape();
      const grew = (key: string): number => sample(after, key) - sample(before, key);
      assert.equal(grew(`kafka_server_brokertopicmetrics_messagesin_total{topic="${topic}"}`), 30);
      assert.ok(grew(`kafka_server_brokertopicmetrics_bytesin_total{topic="${topic}"}`) > 30 * value.length);
      assert.equal(grew('kafka_network_requestmetrics_requests_total{request="Produce"}'), 3);
      assert.equal(grew('kafka_network_requestmetrics_totaltimems_count{request="Produce"}'), 3);
      assert.ok(grew('kafka_network_requestmetrics_totaltimems_bucket{le="+Inf",request="Produce"}') === 3);
    });
  });

  it("when a group consumes and commits, then bytes out and consumer fetches move and the group's lag is the records it has not committed", async () => {
    await withBrokerLog(broker, async () => {
      const groupId = "metered-group";
      await producer.send({ topic, messages: [{ partition: 0, value: "one more" }] });
      const consumer = kafkajsClient(broker.address, "metered-consumer").consumer({
        groupId,
        sessionTimeout: 6000,
        heartbeatInterval: 300,
      });
      cleanups.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      const lag = (samples: Map<string, number>, partition: number) =>
        samples.get(`kafka_consumergroup_lag{group="${groupId}",partition="${partition}",topic="${topic}"}`);
      await waitFor(
        async () => {
          const samples = await scrape();
          return lag(samples, 0) === 0 && lag(samples, 1) === 0;
        },
        { message: "the group to commit everything (lag 0 on both partitions)" },
      );
      const consumed = await scrape();
      assert.ok(sample(consumed, `kafka_server_brokertopicmetrics_bytesout_total{topic="${topic}"}`) > 0);
      assert.ok(sample(consumed, 'kafka_network_requestmetrics_requests_total{request="FetchConsumer"}') > 0);
      assert.equal(sample(consumed, 'kafka_network_requestmetrics_requests_total{request="FetchFollower"}'), 0);

      await consumer.stop();
      await producer.send({ topic, messages: Array.from({ length: 4 }, () => ({ partition: 1, value: "unread" })) });
      const behind = await scrape();
      assert.equal(lag(behind, 1), 4);
      assert.equal(lag(behind, 0), 0);
      const { body } = await getJson<Array<{ groupId: string }>>(`${broker.adminUrl}/v1/groups`);
      assert.ok(body.some((group) => group.groupId === groupId));
      assert.ok(sample(behind, `kafka_coordinator_group_rebalances_total{group="${groupId}"}`) >= 1);
    });
  });
});
