import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { waitFor } from "../../../helpers/wait.ts";
import {
  addPartitions,
  createTopic,
  endTransaction,
  initTransactions,
  markersIn,
  produceTransactional,
  useTransactionalBroker,
} from "../transactions/transaction-fixture.ts";

describe("EndTxn", () => {
  const broker = useTransactionalBroker();

  it("when a transaction commits, then NONE, a COMMIT marker on its partition, CompleteCommit; a retried commit is NONE, an abort INVALID_TXN_STATE", async () => {
    await createTopic(broker, "end-a");
    const producer = await initTransactions(broker, "end-a");
    assert.deepEqual(await addPartitions(broker, "end-a", producer, "end-a", [0]), [ErrorCode.NONE]);
    assert.equal(await produceTransactional(broker, "end-a", 0, producer, 0, ["x", "y"]), ErrorCode.NONE);
    assert.equal(await endTransaction(broker, "end-a", producer, true), ErrorCode.NONE);
    await waitFor(() => broker.state.transactions.describe("end-a")?.state === "CompleteCommit");
    assert.deepEqual(markersIn(broker, "end-a", 0), [{ producerId: producer.producerId, commit: true }]);
    assert.equal(await endTransaction(broker, "end-a", producer, true), ErrorCode.NONE);
    assert.equal(await endTransaction(broker, "end-a", producer, false), ErrorCode.INVALID_TXN_STATE);
  });

  it("when a transaction aborts, then an ABORT marker on each of its partitions and CompleteAbort", async () => {
    await createTopic(broker, "end-b", 2);
    const producer = await initTransactions(broker, "end-b");
    assert.deepEqual(await addPartitions(broker, "end-b", producer, "end-b", [0, 1]), [ErrorCode.NONE, ErrorCode.NONE]);
    assert.equal(await produceTransactional(broker, "end-b", 1, producer, 0, ["x"]), ErrorCode.NONE);
    assert.equal(await endTransaction(broker, "end-b", producer, false), ErrorCode.NONE);
    await waitFor(() => broker.state.transactions.describe("end-b")?.state === "CompleteAbort");
    for (const partition of [0, 1])
      assert.deepEqual(markersIn(broker, "end-b", partition), [{ producerId: producer.producerId, commit: false }]);
  });

  it("when no transaction is open, then INVALID_TXN_STATE; with an old epoch, PRODUCER_FENCED from v2 and INVALID_PRODUCER_EPOCH before", async () => {
    const old = await initTransactions(broker, "end-c");
    assert.equal(await endTransaction(broker, "end-c", old, true), ErrorCode.INVALID_TXN_STATE);
    await initTransactions(broker, "end-c");
    assert.equal(await endTransaction(broker, "end-c", old, true, 2), ErrorCode.PRODUCER_FENCED);
    assert.equal(await endTransaction(broker, "end-c", old, true, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});
