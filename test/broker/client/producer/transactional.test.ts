// Our transactional producer against a real broker process: what it stores (transactional batches
// under the transactional id's producer id, sequences running on across transactions, a COMMIT or
// ABORT marker after each), which requests it sends, offsets sent in a transaction, and a second
// producer with the same transactional id fencing the first. What consumers make of it is the
// conformance suite's (test/conformance/transactions.test.ts), with kafkajs beside us.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KafkaJSConnectionError } from "../../../../broker/client/errors.ts";
import type { Producer, ProducerConfig } from "../../../../broker/client/producer/index.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { AttributeBit } from "../../../../broker/protocol/record-batch/layout.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { quickGroupBrokerConfig } from "../helpers.ts";
import {
  createTopic,
  disconnectAll,
  intercept,
  kafkajsClient,
  ourProducer,
  readPartition,
  type StoredRecord,
  waitFor,
} from "./helpers.ts";

let broker: BrokerProcess;
const clients: { disconnect(): Promise<void> }[] = [];

before(async () => {
  broker = await startBroker({
    config: { ...quickGroupBrokerConfig, "transaction.state.log.num.partitions": 3 },
  });
});

after(async () => {
  await disconnectAll(...clients);
  await broker?.cleanup();
});

let sequence = 0;
const unique = (name: string): string => `${name}-${++sequence}`;

async function transactionalProducer(
  transactionalId: string,
  config: ProducerConfig = {},
): Promise<{ producer: Producer; apis: string[] }> {
  const { producer } = ourProducer(broker.address, {
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    ...config,
  });
  clients.push(producer);
  const apis: string[] = [];
  producer.on(producer.events.REQUEST, (event) => apis.push(event.payload.apiName));
  await producer.connect();
  return { producer, apis };
}

const isControl = (record: StoredRecord): boolean => (record.batch.attributes & AttributeBit.control) !== 0;
const isTransactional = (record: StoredRecord): boolean => (record.batch.attributes & AttributeBit.transactional) !== 0;
/** A marker's type from its control record key: version int16, type int16 (0 ABORT, 1 COMMIT). */
const markerType = (record: StoredRecord): "ABORT" | "COMMIT" =>
  record.key!.readInt16BE(2) === 1 ? "COMMIT" : "ABORT";

/** The partition once it holds `count` records, markers included (markers follow EndTxn's answer). */
async function readWhenComplete(topic: string, count: number): Promise<StoredRecord[]> {
  let records: StoredRecord[] = [];
  await waitFor(
    async () => (records = await readPartition(broker.address, topic, 0)).length >= count,
    () => `${count} records in ${topic} (got ${records.length})`,
  );
  return records;
}

describe("transactional producer", () => {
  it("when transactions commit and abort, then their batches are transactional under one producer id with sequences running on, each ended by its marker", async () => {
    const topic = unique("txn-markers");
    await createTopic(broker.address, topic, 1);
    const { producer, apis } = await transactionalProducer(unique("tx"));

    const first = await producer.transaction();
    await first.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
    await first.send({ topic, messages: [{ value: "c" }] });
    await first.commit();
    const second = await producer.transaction();
    await second.send({ topic, messages: [{ value: "d" }] });
    await second.abort();

    const records = await readWhenComplete(topic, 6);
    assert.deepEqual(
      records.map((r) => (isControl(r) ? markerType(r) : r.value!.toString())),
      ["a", "b", "c", "COMMIT", "d", "ABORT"],
    );
    assert.ok(records.every(isTransactional));
    const producerIds = new Set(records.map((r) => r.batch.producerId));
    assert.equal(producerIds.size, 1);
    assert.ok([...producerIds][0]! >= 0n);
    assert.deepEqual(
      records.filter((r) => !isControl(r)).map((r) => r.batch.baseSequence),
      [0, 0, 2, 3],
    );
    // One InitProducerId for the plain idempotent sends (at connect), one for the transactional id;
    // the partition is added once per transaction.
    assert.equal(apis.filter((api) => api === "InitProducerId").length, 2);
    assert.equal(apis.filter((api) => api === "AddPartitionsToTxn").length, 2);
    assert.equal(apis.filter((api) => api === "EndTxn").length, 2);
  });

  it("when a transaction sends nothing, then commit sends no EndTxn and the next transaction begins", async () => {
    const { producer, apis } = await transactionalProducer(unique("tx-empty"));
    const empty = await producer.transaction();
    await empty.commit();
    assert.equal(empty.isActive(), false);
    const next = await producer.transaction();
    assert.equal(next.isActive(), true);
    await next.abort();
    assert.equal(apis.filter((api) => api === "EndTxn").length, 0);
  });

  it("when a transaction is active, then another is refused as kafkajs refuses it", async () => {
    const { producer } = await transactionalProducer(unique("tx-twice"));
    const active = await producer.transaction();
    await assert.rejects(producer.transaction(), {
      name: "KafkaJSNonRetriableError",
      message:
        "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.",
    });
    await active.abort();
  });

  it("when offsets are sent in transactions, then the group's offset is the committed transaction's, never the aborted one's", async () => {
    const topic = unique("txn-offsets");
    const groupId = unique("txn-group");
    await createTopic(broker.address, topic, 1);
    const { producer } = await transactionalProducer(unique("tx-offsets"));
    const offsetsAt = (offset: string) => ({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset }] }],
    });

    const committed = await producer.transaction();
    await committed.sendOffsets(offsetsAt("5"));
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.sendOffsets(offsetsAt("9"));
    await aborted.abort();

    const admin = kafkajsClient(broker.address, "txn-offsets-admin").admin();
    clients.push(admin);
    await admin.connect();
    const read = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset;
    let offset = "";
    await waitFor(
      async () => (offset = await read()) === "5",
      () => `offset 5 committed (got ${offset})`,
    );
  });

  it("when a transactional send fails after its retries, then the transaction can only abort and the next one runs under a new epoch", async () => {
    const topic = unique("txn-in-doubt");
    await createTopic(broker.address, topic, 1);
    const { producer, cluster } = ourProducer(broker.address, {
      transactionalId: unique("tx-in-doubt"),
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    clients.push(producer);
    await producer.connect();
    const first = await producer.transaction();
    await first.send({ topic, messages: [{ value: "aborted" }] });
    let breaking = true;
    const leader = await cluster.connectionTo(cluster.topicMetadata(topic).partitions[0]!.leader);
    intercept(leader, async (original, api, body, options) => {
      if (breaking && api.apiKey === Apis.Produce.apiKey)
        throw new KafkaJSConnectionError("the test broke this request");
      return original(api, body, options);
    });
    await assert.rejects(first.send({ topic, messages: [{ value: "in doubt" }] }), {
      name: "KafkaJSNumberOfRetriesExceeded",
    });
    breaking = false;
    await assert.rejects(first.commit(), { name: "KafkaJSNonRetriableError" });
    await first.abort();

    const second = await producer.transaction();
    await second.send({ topic, messages: [{ value: "committed" }] });
    await second.commit();
    const records = await readWhenComplete(topic, 4);
    assert.deepEqual(
      records.map((r) => (isControl(r) ? markerType(r) : r.value!.toString())),
      ["aborted", "ABORT", "committed", "COMMIT"],
    );
    const [aborted, , committed] = records;
    assert.equal(committed!.batch.producerId, aborted!.batch.producerId);
    assert.equal(committed!.batch.producerEpoch, aborted!.batch.producerEpoch + 1);
    assert.equal(committed!.batch.baseSequence, 0);
  });

  it("when a second producer takes the transactional id, then the first's send and commit fail with the fencing error and it begins no more transactions", async () => {
    const topic = unique("txn-fenced");
    await createTopic(broker.address, topic, 1);
    const transactionalId = unique("tx-shared");
    const { producer: first } = await transactionalProducer(transactionalId);
    const stale = await first.transaction();
    await stale.send({ topic, messages: [{ value: "stale" }] });

    const { producer: second } = await transactionalProducer(transactionalId);
    const current = await second.transaction();
    await current.send({ topic, messages: [{ value: "current" }] });
    await current.commit();

    const sendError = (await stale.send({ topic, messages: [{ value: "late" }] }).then(
      () => assert.fail("the fenced send should fail"),
      (error: unknown) => error,
    )) as Error & { type?: string };
    assert.equal(sendError.name, "KafkaJSProtocolError");
    assert.ok(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"].includes(sendError.type!), sendError.type);
    assert.equal(stale.isActive(), false);
    // As kafkajs's commit would be answered by the coordinator: the fencing error's code.
    await assert.rejects(stale.commit(), (error: Error & { type?: string }) => {
      assert.equal(error.name, "KafkaJSProtocolError");
      assert.equal(error.type, sendError.type);
      assert.equal(error.cause, sendError);
      return true;
    });
    await assert.rejects(first.transaction(), { name: "KafkaJSProtocolError", retriable: false });

    const records = await readWhenComplete(topic, 4);
    // The stale transaction was aborted when the second producer took the id.
    assert.deepEqual(
      records.map((r) => (isControl(r) ? markerType(r) : r.value!.toString())),
      ["stale", "ABORT", "current", "COMMIT"],
    );
  });

  it("when a fenced producer commits, then the commit fails with the fencing error as kafkajs's does", async () => {
    const topic = unique("txn-fenced-commit");
    await createTopic(broker.address, topic, 1);
    const transactionalId = unique("tx-shared-commit");
    const { producer: first } = await transactionalProducer(transactionalId);
    const stale = await first.transaction();
    await stale.send({ topic, messages: [{ value: "stale" }] });
    const { producer: second } = await transactionalProducer(transactionalId);
    await (await second.transaction()).abort();

    await assert.rejects(stale.commit(), (error: Error & { type?: string }) => {
      assert.equal(error.name, "KafkaJSProtocolError");
      assert.ok(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"].includes(error.type!), error.type);
      return true;
    });
  });
});
