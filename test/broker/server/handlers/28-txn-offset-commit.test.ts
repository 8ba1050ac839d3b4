import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { waitFor } from "../../../helpers/wait.ts";
import type { RoutedBroker } from "../broker-state-fixture.ts";
import {
  createTopic,
  endTransaction,
  initTransactions,
  type Producer,
  useTransactionalBroker,
} from "../transactions/transaction-fixture.ts";

async function committedOffset(broker: RoutedBroker, groupId: string, topic: string): Promise<bigint | undefined> {
  const response = await broker.request(Apis.OffsetFetch, 1, {
    groupId,
    topics: [{ name: topic, partitionIndexes: [0] }],
  });
  return response?.topics[0]?.partitions[0]?.committedOffset;
}

async function sendOffsets(
  broker: RoutedBroker,
  transactionalId: string,
  producer: Producer,
  groupId: string,
  topic: string,
  offset: bigint,
) {
  const added = await broker.request(Apis.AddOffsetsToTxn, 1, { transactionalId, ...producer, groupId });
  assert.equal(added?.errorCode, ErrorCode.NONE);
  const response = await broker.request(Apis.TxnOffsetCommit, 2, {
    transactionalId,
    groupId,
    ...producer,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }],
      },
    ],
  });
  return response?.topics[0]?.partitions[0]?.errorCode;
}

describe("TxnOffsetCommit", () => {
  const broker = useTransactionalBroker();

  it("when offsets are committed in a transaction, then they are not visible until it commits, and then they are", async () => {
    await createTopic(broker, "txn-offsets-a");
    const producer = await initTransactions(broker, "txn-offsets-a");
    assert.equal(await sendOffsets(broker, "txn-offsets-a", producer, "group-a", "txn-offsets-a", 7n), ErrorCode.NONE);
    assert.equal(await committedOffset(broker, "group-a", "txn-offsets-a"), -1n);
    assert.equal(await endTransaction(broker, "txn-offsets-a", producer, true), ErrorCode.NONE);
    await waitFor(async () => (await committedOffset(broker, "group-a", "txn-offsets-a")) === 7n, {
      message: "the offset committed with the transaction",
    });
  });

  it("when offsets are pending in a transaction, then OffsetFetch v7 requiring stable offsets answers UNSTABLE_OFFSET_COMMIT, and the offset once it commits", async () => {
    await createTopic(broker, "txn-offsets-stable");
    const producer = await initTransactions(broker, "txn-offsets-stable");
    const fetchStable = async () => {
      const response = await broker.request(Apis.OffsetFetch, 7, {
        groupId: "group-stable",
        topics: [{ name: "txn-offsets-stable", partitionIndexes: [0] }],
        requireStable: true,
      });
      return response?.topics[0]?.partitions[0];
    };
    assert.equal(
      await sendOffsets(broker, "txn-offsets-stable", producer, "group-stable", "txn-offsets-stable", 4n),
      ErrorCode.NONE,
    );
    assert.equal((await fetchStable())?.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(await committedOffset(broker, "group-stable", "txn-offsets-stable"), -1n);
    assert.equal(await endTransaction(broker, "txn-offsets-stable", producer, true), ErrorCode.NONE);
    await waitFor(async () => (await fetchStable())?.committedOffset === 4n, {
      message: "the stable offset once the transaction committed",
    });
    assert.equal((await fetchStable())?.errorCode, ErrorCode.NONE);
  });

  it("when the transaction aborts, then its offsets are dropped", async () => {
    await createTopic(broker, "txn-offsets-b");
    const producer = await initTransactions(broker, "txn-offsets-b");
    assert.equal(await sendOffsets(broker, "txn-offsets-b", producer, "group-b", "txn-offsets-b", 9n), ErrorCode.NONE);
    assert.equal(await endTransaction(broker, "txn-offsets-b", producer, false), ErrorCode.NONE);
    await waitFor(() => broker.state.transactions.describe("txn-offsets-b")?.state === "CompleteAbort");
    assert.equal(await committedOffset(broker, "group-b", "txn-offsets-b"), -1n);
  });

  it("when the producer has been fenced by a newer epoch, then its commit is refused with INVALID_PRODUCER_EPOCH", async () => {
    await createTopic(broker, "txn-offsets-c");
    const old = await initTransactions(broker, "txn-offsets-c");
    assert.equal(await sendOffsets(broker, "txn-offsets-c", old, "group-c", "txn-offsets-c", 1n), ErrorCode.NONE);
    // The newer epoch aborts the open transaction; its ABORT marker carries the new epoch onto the partition.
    await waitFor(async () => {
      const response = await broker.request(Apis.InitProducerId, 1, {
        transactionalId: "txn-offsets-c",
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      return response?.errorCode === ErrorCode.NONE;
    });
    const response = await broker.request(Apis.TxnOffsetCommit, 2, {
      transactionalId: "txn-offsets-c",
      groupId: "group-c",
      ...old,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [
        {
          name: "txn-offsets-c",
          partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: null }],
        },
      ],
    });
    assert.equal(response?.topics[0]?.partitions[0]?.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});
