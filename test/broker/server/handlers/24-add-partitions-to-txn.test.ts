import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import {
  addPartitions,
  createTopic,
  initTransactions,
  useTransactionalBroker,
} from "../transactions/transaction-fixture.ts";

describe("AddPartitionsToTxn", () => {
  const broker = useTransactionalBroker();

  it("when an initialised producer adds partitions, then each is NONE and the transaction is Ongoing with them", async () => {
    await createTopic(broker, "add-a", 2);
    const producer = await initTransactions(broker, "add-a");
    assert.deepEqual(await addPartitions(broker, "add-a", producer, "add-a", [0, 1]), [ErrorCode.NONE, ErrorCode.NONE]);
    const metadata = broker.state.transactions.describe("add-a");
    assert.equal(metadata?.state, "Ongoing");
    assert.deepEqual([...(metadata?.partitions.get("add-a") ?? [])].sort(), [0, 1]);
  });

  it("when a partition does not exist, then it is UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED", async () => {
    await createTopic(broker, "add-b");
    const producer = await initTransactions(broker, "add-b");
    assert.deepEqual(await addPartitions(broker, "add-b", producer, "add-b", [0, 5]), [
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    assert.equal(broker.state.transactions.describe("add-b")?.state, "Empty");
  });

  it("when the id was never initialised, then INVALID_PRODUCER_ID_MAPPING", async () => {
    await createTopic(broker, "add-c");
    assert.deepEqual(await addPartitions(broker, "never-init", { producerId: 1n, producerEpoch: 0 }, "add-c", [0]), [
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ]);
  });

  it("when an older epoch adds partitions, then PRODUCER_FENCED from v2 and INVALID_PRODUCER_EPOCH before", async () => {
    await createTopic(broker, "add-d");
    const old = await initTransactions(broker, "add-d");
    await initTransactions(broker, "add-d");
    assert.deepEqual(await addPartitions(broker, "add-d", old, "add-d", [0], 2), [ErrorCode.PRODUCER_FENCED]);
    assert.deepEqual(await addPartitions(broker, "add-d", old, "add-d", [0], 1), [ErrorCode.INVALID_PRODUCER_EPOCH]);
  });
});
