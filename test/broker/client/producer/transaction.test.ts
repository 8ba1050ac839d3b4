// The object producer.transaction() resolves with, over a transaction manager talking to scripted
// coordinators and a stand-in for the transactional sender: kafkajs's guards once a transaction
// ended, commit waiting for the sends in flight, and a fenced send fencing the producer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from "../../../../broker/client/errors.ts";
import { beginTransaction } from "../../../../broker/client/producer/transaction.ts";
import type { ProducerBatch, RecordMetadata } from "../../../../broker/client/producer/types.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { FakeCoordinators, managerWith } from "./transaction-fakes.ts";

interface HeldSend {
  batch: ProducerBatch;
  resolve(result: RecordMetadata[]): void;
  reject(error: Error): void;
}

async function started() {
  const fakes = new FakeCoordinators();
  const { manager } = managerWith(fakes);
  await manager.initProducerId();
  const held: HeldSend[] = [];
  const sendBatch = (batch: ProducerBatch) =>
    new Promise<RecordMetadata[]>((resolve, reject) => {
      held.push({ batch, resolve, reject });
      // What the transactional sender does before producing: the partition joins the transaction.
      manager.addPartitions([{ topic: batch.topicMessages![0]!.topic, partition: 0 }]).catch(reject);
    });
  const transaction = beginTransaction({ manager, sendBatch });
  return { fakes, manager, transaction, held };
}

describe("transaction", () => {
  it("when a transaction begins, then it is active and send goes to the transactional sender", async () => {
    const { transaction, held } = await started();
    assert.equal(transaction.isActive(), true);
    const sent = transaction.send({ topic: "out", messages: [{ value: "v" }], acks: -1 });
    assert.deepEqual(held[0]!.batch, {
      acks: -1,
      timeout: undefined,
      compression: undefined,
      topicMessages: [{ topic: "out", messages: [{ value: "v" }] }],
    });
    held[0]!.resolve([]);
    assert.deepEqual(await sent, []);
  });

  for (const end of ["commit", "abort"] as const) {
    it(`when a transaction was ended by ${end}, then it is inactive and its methods reject as kafkajs's do`, async () => {
      const { transaction } = await started();
      await transaction[end]();
      assert.equal(transaction.isActive(), false);
      const ended = { name: "KafkaJSNonRetriableError", message: "Cannot continue to use transaction once ended" };
      await assert.rejects(transaction.send({ topic: "out", messages: [{ value: "late" }] }), ended);
      await assert.rejects(transaction.sendBatch({ topicMessages: [] }), ended);
      await assert.rejects(transaction.sendOffsets({ consumerGroupId: "g", topics: [] }), ended);
      await assert.rejects(transaction.commit(), ended);
      await assert.rejects(transaction.abort(), ended);
    });
  }

  it("when commit is called while a send is in flight, then EndTxn waits for the send's answer", async () => {
    const { fakes, transaction, held } = await started();
    const sent = transaction.send({ topic: "out", messages: [{ value: "v" }] });
    const committed = transaction.commit();
    // Turns of the event loop in which an EndTxn not waiting would have gone out.
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fakes.requestsOf("EndTxn").length, 0);
    held[0]!.resolve([]);
    await sent;
    await committed;
    assert.deepEqual(
      fakes.requests.map((r) => r.api),
      ["InitProducerId", "AddPartitionsToTxn", "EndTxn"],
    );
  });

  it("when a send is refused with INVALID_PRODUCER_EPOCH, then the producer is fenced and commit rejects with that cause", async () => {
    const { fakes, manager, transaction, held } = await started();
    const sent = transaction.send({ topic: "out", messages: [{ value: "v" }] });
    const refusal = new KafkaJSProtocolError(ErrorCode.INVALID_PRODUCER_EPOCH);
    held[0]!.reject(refusal);
    await assert.rejects(sent, refusal);
    assert.equal(manager.fencedError, refusal);
    assert.equal(transaction.isActive(), false);
    await assert.rejects(transaction.commit(), (error: Error) => {
      assert.equal(error.name, "KafkaJSProtocolError");
      assert.equal((error as KafkaJSProtocolError).type, "INVALID_PRODUCER_EPOCH");
      assert.equal(error.cause, refusal);
      return true;
    });
    assert.equal(fakes.requestsOf("EndTxn").length, 0);
  });

  it("when a send fails after its retries, then the transaction refuses commit and more sends, and abort ends it", async () => {
    const { fakes, manager, transaction, held } = await started();
    const sent = transaction.send({ topic: "out", messages: [{ value: "v" }] });
    const gaveUp = new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(ErrorCode.REQUEST_TIMED_OUT), {
      retryCount: 5,
      retryTime: 1000,
    });
    held[0]!.reject(gaveUp);
    await assert.rejects(sent, gaveUp);
    assert.equal(manager.abortOnly, gaveUp);
    const refused = (error: Error) => {
      assert.equal(error.name, "KafkaJSNonRetriableError");
      assert.equal(error.cause, gaveUp);
      return true;
    };
    await assert.rejects(transaction.send({ topic: "out", messages: [{ value: "more" }] }), refused);
    await assert.rejects(transaction.commit(), refused);
    assert.equal(transaction.isActive(), true);
    await transaction.abort();
    assert.equal(transaction.isActive(), false);
    assert.deepEqual(
      fakes.requestsOf("EndTxn").map((r) => r.body.committed),
      [false],
    );
  });

  it("when commit and abort are both called while a send is in flight, then both wait for it and only the first ends the transaction", async () => {
    const { fakes, transaction, held } = await started();
    const sent = transaction.send({ topic: "out", messages: [{ value: "v" }] });
    const committed = transaction.commit();
    const aborted = transaction.abort();
    held[0]!.resolve([]);
    await sent;
    await committed;
    await assert.rejects(aborted, { name: "KafkaJSNonRetriableError" });
    assert.deepEqual(
      fakes.requestsOf("EndTxn").map((r) => r.body.committed),
      [true],
    );
  });

  it("when offsets are sent in a transaction, then the commit ends it with EndTxn although nothing was produced", async () => {
    const { fakes, transaction } = await started();
    await transaction.sendOffsets({
      consumerGroupId: "g",
      topics: [{ topic: "in", partitions: [{ partition: 0, offset: "3" }] }],
    });
    await transaction.commit();
    assert.deepEqual(
      fakes.requests.map((r) => r.api),
      ["InitProducerId", "AddOffsetsToTxn", "TxnOffsetCommit", "EndTxn"],
    );
  });
});
