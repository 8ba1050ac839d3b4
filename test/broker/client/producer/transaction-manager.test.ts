// The transactional producer's state machine and coordinator requests, against scripted
// coordinators (transaction-fakes.ts): what each request carries, which errors are retried
// (a moved coordinator is looked up again), and how fencing ends the producer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CoordinatorType } from "../../../../broker/client/cluster.ts";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "../../../../broker/client/errors.ts";
import { isFencingError, TransactionState } from "../../../../broker/client/producer/transaction-manager.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { addPartitionsAnswer, FakeCoordinators, managerWith } from "./transaction-fakes.ts";

const errorAnswer = (errorCode: number) => ({ throttleTimeMs: 0, errorCode });

async function transacting(fakes = new FakeCoordinators()) {
  const made = managerWith(fakes);
  await made.manager.initProducerId();
  made.manager.beginTransaction();
  return { fakes, ...made };
}

describe("TransactionManager", () => {
  it("when a transaction is begun before the producer id is initialized, then kafkajs's state error is thrown", () => {
    const { manager } = managerWith(new FakeCoordinators());
    assert.equal(manager.state, TransactionState.UNINITIALIZED);
    assert.throws(() => manager.beginTransaction(), {
      name: "KafkaJSNonRetriableError",
      message: 'Transaction state exception: Cannot call "beginTransaction" in state "UNINITIALIZED"',
    });
  });

  it("when the producer id is initialized, then InitProducerId goes to the transactional id's coordinator and fills the identity", async () => {
    const fakes = new FakeCoordinators().answer("InitProducerId", {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 42n,
      producerEpoch: 3,
    });
    let renewed = 0;
    const { manager, identity } = managerWith(fakes, { onIdentity: () => renewed++ });
    await manager.initProducerId();
    assert.deepEqual(fakes.lookups, [{ key: "tx-1", keyType: CoordinatorType.TRANSACTION }]);
    assert.deepEqual(fakes.requestsOf("InitProducerId")[0]!.body, {
      transactionalId: "tx-1",
      transactionTimeoutMs: 30_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.deepEqual(identity, { producerId: 42n, producerEpoch: 3 });
    assert.equal(manager.state, TransactionState.READY);
    assert.equal(manager.isInitialized, true);
    assert.equal(renewed, 1);
  });

  it("when InitProducerId answers CONCURRENT_TRANSACTIONS, then it is retried until the coordinator has finished", async () => {
    const fakes = new FakeCoordinators().answer(
      "InitProducerId",
      errorAnswer(ErrorCode.CONCURRENT_TRANSACTIONS),
      errorAnswer(ErrorCode.CONCURRENT_TRANSACTIONS),
    );
    const { manager, identity } = managerWith(fakes);
    await manager.initProducerId();
    assert.equal(fakes.requestsOf("InitProducerId").length, 3);
    assert.equal(identity.producerId, 7000n);
    // The coordinator did not move: one lookup.
    assert.equal(fakes.lookups.length, 1);
  });

  it("when the coordinator answers NOT_COORDINATOR, then it is looked up again and the request goes to the new one", async () => {
    const fakes = new FakeCoordinators().answer("InitProducerId", errorAnswer(ErrorCode.NOT_COORDINATOR));
    const { manager } = managerWith(fakes);
    await manager.initProducerId();
    assert.deepEqual(
      fakes.requestsOf("InitProducerId").map((r) => r.coordinator),
      ["transaction#1", "transaction#2"],
    );
  });

  it("when InitProducerId keeps failing retriably, then it rejects with KafkaJSNumberOfRetriesExceeded and the state is unchanged", async () => {
    const fakes = new FakeCoordinators().answer(
      "InitProducerId",
      ...Array.from({ length: 5 }, () => errorAnswer(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)),
    );
    const { manager } = managerWith(fakes, { retries: 2 });
    await assert.rejects(manager.initProducerId(), (error: Error) => {
      assert.equal(error.name, "KafkaJSNumberOfRetriesExceeded");
      assert.equal((error.cause as KafkaJSProtocolError).type, "COORDINATOR_LOAD_IN_PROGRESS");
      return true;
    });
    assert.equal(manager.state, TransactionState.UNINITIALIZED);
  });

  it("when partitions are added, then each goes to the coordinator once per transaction", async () => {
    const { fakes, manager, identity } = await transacting();
    await manager.addPartitions([
      { topic: "a", partition: 0 },
      { topic: "a", partition: 1 },
      { topic: "b", partition: 0 },
    ]);
    await manager.addPartitions([
      { topic: "a", partition: 1 },
      { topic: "b", partition: 2 },
    ]);
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    assert.deepEqual(
      fakes.requestsOf("AddPartitionsToTxn").map((r) => r.body),
      [
        {
          v3AndBelowTransactionalId: "tx-1",
          v3AndBelowProducerId: identity.producerId,
          v3AndBelowProducerEpoch: identity.producerEpoch,
          v3AndBelowTopics: [
            { name: "a", partitions: [0, 1] },
            { name: "b", partitions: [0] },
          ],
        },
        {
          v3AndBelowTransactionalId: "tx-1",
          v3AndBelowProducerId: identity.producerId,
          v3AndBelowProducerEpoch: identity.producerEpoch,
          v3AndBelowTopics: [{ name: "b", partitions: [2] }],
        },
      ],
    );
    assert.equal(manager.isOngoing, true);
  });

  it("when concurrent sends add the same partition, then one AddPartitionsToTxn carries it", async () => {
    const { fakes, manager } = await transacting();
    await Promise.all([
      manager.addPartitions([{ topic: "a", partition: 0 }]),
      manager.addPartitions([{ topic: "a", partition: 0 }]),
    ]);
    assert.equal(fakes.requestsOf("AddPartitionsToTxn").length, 1);
  });

  it("when AddPartitionsToTxn refuses one partition, then the error is that partition's and none counts as added", async () => {
    const fakes = new FakeCoordinators().answer(
      "AddPartitionsToTxn",
      addPartitionsAnswer({
        a: { 0: ErrorCode.OPERATION_NOT_ATTEMPTED, 1: ErrorCode.TOPIC_AUTHORIZATION_FAILED },
      }),
    );
    const { manager } = await transacting(fakes);
    await assert.rejects(
      manager.addPartitions([
        { topic: "a", partition: 0 },
        { topic: "a", partition: 1 },
      ]),
      { name: "KafkaJSProtocolError", type: "TOPIC_AUTHORIZATION_FAILED" },
    );
    assert.equal(manager.isOngoing, false);
    // Still usable: the next add asks for both again.
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    assert.equal(fakes.requestsOf("AddPartitionsToTxn").length, 2);
  });

  it("when AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS, then it is retried", async () => {
    const fakes = new FakeCoordinators().answer(
      "AddPartitionsToTxn",
      addPartitionsAnswer({ a: { 0: ErrorCode.CONCURRENT_TRANSACTIONS } }),
    );
    const { manager } = await transacting(fakes);
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    assert.equal(fakes.requestsOf("AddPartitionsToTxn").length, 2);
  });

  it("when a transaction with nothing in it commits, then no EndTxn is sent and the producer is ready again", async () => {
    const { fakes, manager } = await transacting();
    await manager.endTransaction(true);
    assert.equal(fakes.requestsOf("EndTxn").length, 0);
    assert.equal(manager.state, TransactionState.READY);
  });

  for (const commit of [true, false]) {
    it(`when a transaction ${commit ? "commits" : "aborts"}, then EndTxn says so and the next transaction adds its partitions again`, async () => {
      const { fakes, manager, identity } = await transacting();
      await manager.addPartitions([{ topic: "a", partition: 0 }]);
      await manager.endTransaction(commit);
      assert.deepEqual(fakes.requestsOf("EndTxn")[0]!.body, {
        transactionalId: "tx-1",
        producerId: identity.producerId,
        producerEpoch: identity.producerEpoch,
        committed: commit,
      });
      assert.equal(manager.state, TransactionState.READY);
      assert.equal(manager.isOngoing, false);
      manager.beginTransaction();
      await manager.addPartitions([{ topic: "a", partition: 0 }]);
      assert.equal(fakes.requestsOf("AddPartitionsToTxn").length, 2);
    });
  }

  it("when a commit is under way, then another commit, an abort or a new transaction is refused with kafkajs's state error", async () => {
    const { manager } = await transacting();
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    const committing = manager.endTransaction(true);
    assert.equal(manager.state, TransactionState.COMMITTING);
    assert.throws(() => manager.beginTransaction(), {
      message: 'Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"',
    });
    await assert.rejects(manager.endTransaction(false), {
      name: "KafkaJSNonRetriableError",
      message: 'Transaction state exception: Cannot call "abort" in state "COMMITTING"',
    });
    await committing;
  });

  it("when EndTxn answers PRODUCER_FENCED, then the commit rejects with it and every later call rejects with that code, caused by it", async () => {
    const fakes = new FakeCoordinators().answer("EndTxn", errorAnswer(ErrorCode.PRODUCER_FENCED));
    const { manager } = await transacting(fakes);
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    const fenced = await manager.endTransaction(true).then(
      () => assert.fail("the commit should fail"),
      (error: unknown) => error as KafkaJSProtocolError,
    );
    assert.equal(fenced.name, "KafkaJSProtocolError");
    assert.equal(fenced.type, "PRODUCER_FENCED");
    assert.equal(fenced.retriable, false);
    assert.equal(manager.state, TransactionState.FENCED);
    assert.equal(manager.isInTransaction, false);
    assert.equal(manager.fencedError, fenced);
    for (const later of [() => manager.endTransaction(false), () => manager.initProducerId()]) {
      await assert.rejects(later, (error: Error) => {
        assert.ok(error instanceof KafkaJSProtocolError);
        assert.equal(error.type, "PRODUCER_FENCED");
        assert.equal(error.retriable, false);
        assert.equal(error.cause, fenced);
        return true;
      });
    }
    assert.throws(
      () => manager.beginTransaction(),
      (error: Error) => error.cause === fenced,
    );
  });

  it("when EndTxn fails without fencing, then the transaction is still open and can be aborted", async () => {
    const fakes = new FakeCoordinators().answer("EndTxn", errorAnswer(ErrorCode.INVALID_TXN_STATE));
    const { manager } = await transacting(fakes);
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    await assert.rejects(manager.endTransaction(true), { name: "KafkaJSProtocolError", type: "INVALID_TXN_STATE" });
    assert.equal(manager.state, TransactionState.TRANSACTING);
    await manager.endTransaction(false);
    assert.deepEqual(
      fakes.requestsOf("EndTxn").map((r) => r.body.committed),
      [true, false],
    );
    assert.equal(manager.state, TransactionState.READY);
  });

  it("when a transaction can only abort, then commit is refused, abort ends it and the producer then takes a new epoch", async () => {
    const fakes = new FakeCoordinators().answer(
      "InitProducerId",
      { throttleTimeMs: 0, errorCode: 0, producerId: 42n, producerEpoch: 0 },
      { throttleTimeMs: 0, errorCode: 0, producerId: 42n, producerEpoch: 1 },
    );
    let renewed = 0;
    const { manager, identity } = managerWith(fakes, { onIdentity: () => renewed++ });
    await manager.prepare();
    manager.beginTransaction();
    await manager.addPartitions([{ topic: "a", partition: 0 }]);
    const cause = new Error("request timed out");
    manager.markAbortOnly(cause);
    await assert.rejects(manager.endTransaction(true), (error: Error) => {
      assert.equal(error.name, "KafkaJSNonRetriableError");
      assert.equal(error.cause, cause);
      return true;
    });
    assert.equal(manager.state, TransactionState.TRANSACTING);
    await manager.endTransaction(false);
    assert.equal(manager.abortOnly, undefined);
    await manager.prepare();
    assert.deepEqual(
      fakes.requests.map((r) => r.api),
      ["InitProducerId", "AddPartitionsToTxn", "EndTxn", "InitProducerId"],
    );
    // KIP-360: the producer names the epoch it had, and sequences restart under the new one.
    assert.deepEqual(fakes.requestsOf("InitProducerId")[1]!.body, {
      transactionalId: "tx-1",
      transactionTimeoutMs: 30_000,
      producerId: 42n,
      producerEpoch: 0,
    });
    assert.deepEqual(identity, { producerId: 42n, producerEpoch: 1 });
    assert.equal(renewed, 2);
    // Taken: the next prepare asks for nothing.
    await manager.prepare();
    assert.equal(fakes.requestsOf("InitProducerId").length, 2);
  });

  it("when offsets are sent, then AddOffsetsToTxn goes to the transaction coordinator and TxnOffsetCommit to the group's", async () => {
    const { fakes, manager, identity } = await transacting();
    await manager.sendOffsets({
      consumerGroupId: "group-1",
      topics: [{ topic: "in", partitions: [{ partition: 2, offset: "15" }] }],
    });
    assert.deepEqual(fakes.requestsOf("AddOffsetsToTxn")[0], {
      api: "AddOffsetsToTxn",
      coordinator: "transaction#1",
      body: {
        transactionalId: "tx-1",
        producerId: identity.producerId,
        producerEpoch: identity.producerEpoch,
        groupId: "group-1",
      },
    });
    assert.deepEqual(fakes.lookups[1], { key: "group-1", keyType: CoordinatorType.GROUP });
    assert.deepEqual(fakes.requestsOf("TxnOffsetCommit")[0], {
      api: "TxnOffsetCommit",
      coordinator: "group#2",
      body: {
        transactionalId: "tx-1",
        groupId: "group-1",
        producerId: identity.producerId,
        producerEpoch: identity.producerEpoch,
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [
          {
            name: "in",
            partitions: [
              { partitionIndex: 2, committedOffset: 15n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      },
    });
    // Offsets alone make the transaction worth an EndTxn.
    await manager.endTransaction(true);
    assert.equal(fakes.requestsOf("EndTxn").length, 1);
  });

  it("when offsets go to the same group in transaction after transaction, then each coordinator is looked up once", async () => {
    const { fakes, manager } = await transacting();
    for (let round = 0; round < 3; round++) {
      if (round > 0) manager.beginTransaction();
      await manager.sendOffsets({
        consumerGroupId: "group-1",
        topics: [{ topic: "in", partitions: [{ partition: 0, offset: String(round + 1) }] }],
      });
      await manager.endTransaction(true);
    }
    assert.equal(fakes.requestsOf("TxnOffsetCommit").length, 3);
    assert.deepEqual(fakes.lookups, [
      { key: "tx-1", keyType: CoordinatorType.TRANSACTION },
      { key: "group-1", keyType: CoordinatorType.GROUP },
    ]);
  });

  it("when TxnOffsetCommit answers a moved group coordinator, then it is looked up again; a partition's refusal rejects", async () => {
    const partitionError = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: [{ name: "in", partitions: [{ partitionIndex: 0, errorCode }] }],
    });
    const fakes = new FakeCoordinators().answer(
      "TxnOffsetCommit",
      partitionError(ErrorCode.NOT_COORDINATOR),
      partitionError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS),
      partitionError(ErrorCode.NONE),
      partitionError(ErrorCode.UNKNOWN_MEMBER_ID),
    );
    const { manager } = await transacting(fakes);
    const offsets = { consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: "1" }] }] };
    await manager.sendOffsets(offsets);
    assert.deepEqual(
      fakes.requestsOf("TxnOffsetCommit").map((r) => r.coordinator),
      ["group#2", "group#3", "group#3"],
    );
    await assert.rejects(manager.sendOffsets(offsets), { name: "KafkaJSProtocolError", type: "UNKNOWN_MEMBER_ID" });
  });

  it("when an offset to send is not a number, then sendOffsets rejects before any request", async () => {
    const { fakes, manager } = await transacting();
    await assert.rejects(
      manager.sendOffsets({
        consumerGroupId: "g",
        topics: [{ topic: "in", partitions: [{ partition: 0, offset: "x" }] }],
      }),
      { name: "KafkaJSNonRetriableError", message: 'Invalid offset "x"' },
    );
    assert.deepEqual(
      fakes.requests.map((r) => r.api),
      ["InitProducerId"],
    );
    assert.equal(manager.isOngoing, false);
  });

  it("when a request fails with a fencing error deep in a cause chain, then isFencingError says so", () => {
    const fenced = new KafkaJSProtocolError(ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(isFencingError(fenced), true);
    assert.equal(isFencingError(new KafkaJSNonRetriableError(fenced, { cause: fenced })), true);
    assert.equal(isFencingError(new KafkaJSProtocolError(ErrorCode.INVALID_TXN_STATE)), false);
    assert.equal(isFencingError("not an error"), false);
  });
});
