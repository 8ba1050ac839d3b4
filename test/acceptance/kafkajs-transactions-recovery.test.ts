// Acceptance: the broker killed with SIGKILL in the middle of a kafkajs transaction. After the
// restart the coordinator reloads the transaction from `__transaction_state` and the partitions
// their open transactions from their logs: the producer that was mid-transaction either commits it
// (it recovers) or, gone quiet, has it aborted by its timeout; a new producer with the same
// transactional id fences the old one. Read_committed consumers see all of a transaction or none.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Kafka, Producer } from "kafkajs";
import { range, waitFor } from "../helpers/wait.ts";
import {
  collectFromBeginning,
  kafkaClient,
  quickConsumerConfig,
  type ReceivedMessage,
  useAcceptanceBroker,
  withBrokerLog,
} from "./helpers.ts";

const PARTITIONS = 2;
/** Short, so an abandoned transaction is aborted within the test; the coordinator looks every 200 ms. */
const TRANSACTION_TIMEOUT_MS = 3_000;
/** Outlasts the broker's restart. */
const patientRetry = { retries: 20, initialRetryTime: 200, maxRetryTime: 1_000 };

describe("kafkajs: a broker killed mid-transaction", () => {
  const suite = useAcceptanceBroker({
    "transaction.state.log.num.partitions": 3,
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": 200,
  });

  const client = (clientId: string): Kafka => kafkaClient(suite.broker.address, clientId, { retry: patientRetry });

  const transactionalProducer = async (kafka: Kafka, transactionalId: string): Promise<Producer> =>
    suite.connect(
      kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        retry: patientRetry,
      }),
    );

  /** Sends `tag`-0…5 over both partitions in an open transaction of `producer`; returns the transaction. */
  const openTransaction = async (producer: Producer, topic: string, tag: string) => {
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      acks: -1,
      messages: range(6).map((i) => ({ partition: i % PARTITIONS, value: `${tag}-${i}` })),
    });
    return transaction;
  };

  const readCommitted = async (kafka: Kafka, topic: string, group: string): Promise<ReceivedMessage[]> => {
    const received: ReceivedMessage[] = [];
    await collectFromBeginning(suite.track(kafka.consumer(quickConsumerConfig(group))), topic, received);
    return received;
  };

  it(
    "when the producer commits after the restart, then its whole transaction becomes visible to read_committed",
    {
      timeout: 120_000,
    },
    () =>
      withBrokerLog(suite.broker, async () => {
        const kafka = client("tx-recovery-commit");
        const admin = await suite.connect(kafka.admin());
        const topic = "tx-recovery-commit";
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
        const producer = await transactionalProducer(kafka, "tx-recovery-commit");
        const transaction = await openTransaction(producer, topic, "recovered");

        await suite.broker.kill();
        await suite.broker.restart();
        await transaction.commit();

        const received = await readCommitted(client("tx-recovery-commit-reader"), topic, "tx-recovery-commit-group");
        await waitFor(() => received.length === 6, {
          message: () => `the 6 records of the transaction (got ${received.length})`,
        });
        assert.deepEqual(
          received.map((m) => m.value).sort(),
          range(6).map((i) => `recovered-${i}`),
        );
      }),
  );

  it(
    "when the producer goes quiet after the restart, then its timeout aborts the transaction, read_committed never sees it, and a new producer with its id fences it",
    {
      timeout: 120_000,
    },
    () =>
      withBrokerLog(suite.broker, async () => {
        const kafka = client("tx-recovery-abort");
        const admin = await suite.connect(kafka.admin());
        const topic = "tx-recovery-abort";
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
        const abandoned = await transactionalProducer(kafka, "tx-recovery-abort");
        const stale = await openTransaction(abandoned, topic, "abandoned");

        await suite.broker.kill();
        await suite.broker.restart();
        // Nothing more from that producer: once its timeout passes, the coordinator writes abort markers
        // and the last stable offset moves past the transaction (fetchTopicOffsets reads committed).
        await waitFor(async () => (await admin.fetchTopicOffsets(topic)).every((p) => Number(p.high) === 4), {
          timeoutMs: 30_000,
          message: "the abort markers after the 3 records of each partition",
        });

        const successor = await transactionalProducer(client("tx-recovery-successor"), "tx-recovery-abort");
        const next = await openTransaction(successor, topic, "successor");
        await next.commit();
        const fenced = await stale.commit().then(
          () => "committed",
          (error: { type?: string; name?: string }) => error.type ?? error.name ?? "failed",
        );
        assert.notEqual(fenced, "committed", "the abandoned transaction cannot commit any more");

        const received = await readCommitted(client("tx-recovery-abort-reader"), topic, "tx-recovery-abort-group");
        await waitFor(() => received.length === 6, {
          message: () => `the successor's 6 records (got ${received.length})`,
        });
        assert.deepEqual(
          received.map((m) => m.value).sort(),
          range(6).map((i) => `successor-${i}`),
        );
      }),
  );
});
