import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type AdminContext,
  attempt,
  EARLIEST_OFFSET,
  hasType,
  LATEST_OFFSET,
  listOffsets,
  nodeConnection,
  requestMetadata,
  throwIfMetadataErrors,
  topicPartitions,
} from "../../../../broker/client/admin/context.ts";
import type { Cluster } from "../../../../broker/client/cluster.ts";
import {
  KafkaJSAggregateError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "../../../../broker/client/errors.ts";
import { createRetrier } from "../../../../broker/client/retry.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { MetadataResponse } from "../../../../broker/protocol/messages/index.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { kafkajsClient, ourCluster, rejectionOf, silentLogger, waitFor } from "../helpers.ts";

const quickRetrier = createRetrier({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 });
/** For attempt(), which needs only the retrier. */
const retryOnly: AdminContext = {
  cluster: undefined as unknown as Cluster,
  retrier: quickRetrier,
  logger: silentLogger,
};

describe("admin context: attempt", () => {
  it("when a retriable error passes, then the operation is tried again and each retry is announced", async () => {
    const retried: Array<[string, number]> = [];
    let calls = 0;
    const result = await attempt(
      retryOnly,
      async () => {
        if (++calls < 3) throw new KafkaJSProtocolError(ErrorCode.NOT_CONTROLLER);
        return "done";
      },
      { onRetry: (error, retryCount) => void retried.push([(error as KafkaJSProtocolError).type, retryCount]) },
    );
    assert.equal(result, "done");
    assert.deepEqual(retried, [
      ["NOT_CONTROLLER", 0],
      ["NOT_CONTROLLER", 1],
    ]);
  });

  it("when an error is not retriable, then it reaches the caller as it is, not wrapped", async () => {
    const refused = new KafkaJSProtocolError(ErrorCode.INVALID_PARTITIONS, "cannot shrink");
    let calls = 0;
    const error = await rejectionOf(
      attempt(retryOnly, async () => {
        calls++;
        throw refused;
      }),
    );
    assert.equal(error, refused);
    assert.equal(calls, 1);
  });

  it("when an error collects per-item answers, or the caller asks to surface it, then it is final although retriable", async () => {
    const collected = new KafkaJSAggregateError("some topics failed", [new Error("x")]);
    assert.equal(await rejectionOf(attempt(retryOnly, async () => Promise.reject(collected))), collected);
    const unknown = new KafkaJSProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    let calls = 0;
    const surfaced = await rejectionOf(
      attempt(
        retryOnly,
        async () => {
          calls++;
          throw unknown;
        },
        { surface: hasType("UNKNOWN_TOPIC_OR_PARTITION") },
      ),
    );
    assert.deepEqual([surfaced, calls], [unknown, 1]);
  });

  it("when retriable errors go on past the last retry, then KafkaJSNumberOfRetriesExceeded caused by the last", async () => {
    const error = await rejectionOf(
      attempt(retryOnly, async (retryCount) => {
        throw new KafkaJSProtocolError(ErrorCode.NOT_CONTROLLER, `try ${retryCount}`);
      }),
    );
    assert.ok(error instanceof KafkaJSNumberOfRetriesExceeded);
    assert.match((error.cause as Error).message, /try 3/);
  });

  it("when an error type is matched, then by Kafka's name, and errors without a type never match", () => {
    const matches = hasType("NOT_CONTROLLER", "NOT_COORDINATOR");
    assert.equal(matches(new KafkaJSProtocolError(ErrorCode.NOT_COORDINATOR)), true);
    assert.equal(matches(new KafkaJSProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE)), false);
    assert.equal(matches(new KafkaJSNonRetriableError("no type")), false);
  });
});

describe("admin context: metadata errors", () => {
  const response = (topicError: number, partitionErrors: number[]): MetadataResponse => ({
    brokers: [],
    topics: [
      { errorCode: ErrorCode.NONE, name: "fine", partitions: [] },
      {
        errorCode: topicError,
        name: "t",
        partitions: partitionErrors.map((errorCode, partitionIndex) => ({
          errorCode,
          partitionIndex,
          leaderId: 0,
          replicaNodes: [0],
          isrNodes: [0],
        })),
      },
    ],
  });

  it("when a topic and a partition both have errors, then the topic's is thrown; with only a partition's, then that", () => {
    assert.throws(
      () => throwIfMetadataErrors(response(ErrorCode.TOPIC_AUTHORIZATION_FAILED, [ErrorCode.LEADER_NOT_AVAILABLE])),
      hasTypeError("TOPIC_AUTHORIZATION_FAILED"),
    );
    assert.throws(
      () => throwIfMetadataErrors(response(ErrorCode.NONE, [ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE])),
      hasTypeError("LEADER_NOT_AVAILABLE"),
    );
    throwIfMetadataErrors(response(ErrorCode.NONE, [ErrorCode.NONE]));
  });
});

function hasTypeError(type: string) {
  return (error: unknown) => error instanceof KafkaJSProtocolError && error.type === type;
}

describe("admin context: requests to the broker", () => {
  let broker: BrokerProcess;
  let ctx: AdminContext;

  before(async () => {
    broker = await startBroker({ config: { "num.partitions": 3, "transaction.state.log.num.partitions": 1 } });
    const producer = kafkajsClient(broker.address, "context-test").producer();
    await producer.connect();
    await producer.send({ topic: "filled", messages: [{ value: "a" }, { value: "b" }] });
    await producer.disconnect();
    const cluster = ourCluster(broker.address, { clientId: "context-test", allowAutoTopicCreation: false });
    ctx = { cluster, retrier: quickRetrier, logger: silentLogger };
  });
  after(async () => {
    ctx?.cluster.disconnect();
    await broker?.cleanup();
  });

  it("when metadata of every topic is asked for, then internal topics come too; asking for an unknown one never creates it", async () => {
    const all = await requestMetadata(ctx, null);
    assert.deepEqual(all.topics.map((t) => t.name).sort(), ["__consumer_offsets", "filled"]);
    const unknown = await requestMetadata(ctx, ["not-created"]);
    assert.equal(unknown.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(
      (await requestMetadata(ctx, null)).topics.some((t) => t.name === "not-created"),
      false,
    );
  });

  it("when a topic's partitions are asked for, then all of them in order; for an unknown topic, what the broker said", async () => {
    assert.deepEqual(
      (await topicPartitions(ctx, "filled")).map((p) => p.partitionIndex),
      [0, 1, 2],
    );
    const error = await rejectionOf(topicPartitions(ctx, "not-created"));
    assert.equal(error.type, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("when offsets are listed, then each partition's earliest or latest from its leader; a partition without a leader fails", async () => {
    const partitions = await topicPartitions(ctx, "filled");
    const latest = await listOffsets(ctx, "filled", partitions, LATEST_OFFSET);
    const earliest = await listOffsets(ctx, "filled", partitions, EARLIEST_OFFSET);
    assert.equal(
      [...latest.values()].reduce((sum, offset) => sum + offset, 0n),
      2n,
    );
    assert.deepEqual([...earliest.values()], [0n, 0n, 0n]);
    const leaderless = [{ ...partitions[0]!, leaderId: -1 }];
    const error = await rejectionOf(listOffsets(ctx, "filled", leaderless, LATEST_OFFSET));
    assert.equal(error.type, "LEADER_NOT_AVAILABLE");
  });

  it("when a node is not known yet, then the metadata is refreshed before connecting to it", async () => {
    const fresh: AdminContext = {
      ...ctx,
      cluster: ourCluster(broker.address, { clientId: "context-test", allowAutoTopicCreation: false }),
    };
    try {
      assert.deepEqual(fresh.cluster.brokers, []);
      const connection = await nodeConnection(fresh, 0);
      assert.equal(connection.isConnected, true);
    } finally {
      fresh.cluster.disconnect();
    }
  });

  // Last: the transaction makes the broker create __transaction_state, which the metadata test above does not expect.
  it("when a transaction is open, then the latest offset listed is its last stable offset, as kafkajs's admin reads committed", async () => {
    const kafka = kafkajsClient(broker.address, "context-test-txn");
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ transactionalId: "context-test-tx", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "in-transaction", numPartitions: 1 }], waitForLeaders: true });
      await producer.send({ topic: "in-transaction", messages: [{ value: "before" }] });
      const transaction = await producer.transaction();
      await transaction.send({ topic: "in-transaction", messages: [{ value: "open" }] });
      const partitions = await topicPartitions(ctx, "in-transaction");
      assert.deepEqual([...(await listOffsets(ctx, "in-transaction", partitions, LATEST_OFFSET)).values()], [1n]);
      await transaction.commit();
      let latest = 0n;
      await waitFor(
        async () => (latest = (await listOffsets(ctx, "in-transaction", partitions, LATEST_OFFSET)).get(0)!) === 3n,
        () => `the end after the commit's marker (got ${latest})`,
      );
    } finally {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    }
  });
});
