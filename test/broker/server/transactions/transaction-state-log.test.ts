import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import {
  TRANSACTION_STATE_TOPIC,
  type TransactionLogValue,
} from "../../../../broker/server/transactions/transaction-log-format.ts";
import { TransactionStateLog } from "../../../../broker/server/transactions/transaction-state-log.ts";
import { cleanupAll, waitFor } from "../../../helpers/wait.ts";
import { type RoutedBroker, routedBrokerIn } from "../broker-state-fixture.ts";
import { topicPartitions } from "../partition-fixture.ts";
import {
  addPartitions,
  createTopic,
  endTransaction,
  initTransactions,
  readyForTransactions,
  transactionProps,
} from "./transaction-fixture.ts";

const state = (value: Partial<TransactionLogValue>): TransactionLogValue => ({
  producerId: 3n,
  producerEpoch: 1,
  transactionTimeoutMs: 60_000,
  state: "Ongoing",
  partitions: [{ topic: "t", partitions: [0] }],
  lastUpdateTimestampMs: 10n,
  startTimestampMs: 9n,
  ...value,
});

describe("__transaction_state as the transaction coordinator's log", () => {
  it("when transitions and a tombstone are appended, then reading the partition gives each id's records back in order", async (t) => {
    const log = TransactionStateLog.onTopics(topicPartitions(t, 2, TRANSACTION_STATE_TOPIC), 5000);
    await log.append(1, "a", state({}));
    await log.append(1, "b", state({ producerId: 4n }));
    await log.append(1, "a", state({ state: "PrepareCommit" }));
    await log.append(1, "b", null);
    assert.deepEqual(
      [...log.read(1)].map((entry) => [entry.transactionalId, entry.value?.state, entry.value?.producerId]),
      [
        ["a", "Ongoing", 3n],
        ["b", "Ongoing", 4n],
        ["a", "PrepareCommit", 3n],
        ["b", undefined, undefined],
      ],
    );
    assert.deepEqual([...log.read(0)], []);
    assert.equal(await log.awaitLoadable(1), true);
  });
});

describe("the transaction coordinator across a restart", () => {
  it("when the broker restarts, then each id's state is rebuilt from __transaction_state and its producer keeps its id", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "txn-restart-"));
    let broker: RoutedBroker | undefined;
    try {
      broker = await routedBrokerIn(dataDir, transactionProps);
      await readyForTransactions(broker);
      await createTopic(broker, "restart-t");
      const committed = await initTransactions(broker, "restart-committed");
      assert.deepEqual(await addPartitions(broker, "restart-committed", committed, "restart-t", [0]), [ErrorCode.NONE]);
      assert.equal(await endTransaction(broker, "restart-committed", committed, true), ErrorCode.NONE);
      await waitFor(() => broker!.state.transactions.describe("restart-committed")?.state === "CompleteCommit");
      const open = await initTransactions(broker, "restart-open");
      assert.deepEqual(await addPartitions(broker, "restart-open", open, "restart-t", [0]), [ErrorCode.NONE]);
      await broker.stop();

      broker = await routedBrokerIn(dataDir, transactionProps);
      const restarted = broker;
      await waitFor(
        () =>
          restarted.state.transactions.ledPartitions().every((p) => p.loaded) &&
          restarted.state.transactions.ledPartitions().length === 2,
      );
      const committedNow = restarted.state.transactions.describe("restart-committed");
      assert.deepEqual(
        [committedNow?.state, committedNow?.producerId, committedNow?.producerEpoch],
        ["CompleteCommit", committed.producerId, 0],
      );
      const openNow = restarted.state.transactions.describe("restart-open");
      assert.deepEqual([openNow?.state, [...(openNow?.partitions.get("restart-t") ?? [])]], ["Ongoing", [0]]);
      const again = await restarted.request(Apis.InitProducerId, 1, {
        transactionalId: "restart-committed",
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      assert.deepEqual(
        [again?.errorCode, again?.producerId, again?.producerEpoch],
        [ErrorCode.NONE, committed.producerId, 1],
      );
    } finally {
      await cleanupAll(
        () => broker?.stop(),
        () => rmSync(dataDir, { recursive: true, force: true }),
      );
    }
  });
});
