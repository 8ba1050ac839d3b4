import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../../broker/server/groups/offsets-record-format.ts";
import { initTransactions, useTransactionalBroker } from "../transactions/transaction-fixture.ts";

describe("AddOffsetsToTxn", () => {
  const broker = useTransactionalBroker();

  it("when a producer adds a group's offsets, then the group's __consumer_offsets partition joins its transaction", async () => {
    const producer = await initTransactions(broker, "offsets-a");
    const response = await broker.request(Apis.AddOffsetsToTxn, 1, {
      transactionalId: "offsets-a",
      ...producer,
      groupId: "group-a",
    });
    assert.equal(response?.errorCode, ErrorCode.NONE);
    const partition = broker.state.groups.partitionFor("group-a");
    assert.deepEqual(
      [...(broker.state.transactions.describe("offsets-a")?.partitions.get(CONSUMER_OFFSETS_TOPIC) ?? [])],
      [partition],
    );
  });

  it("when the producer's epoch is not the id's, then PRODUCER_FENCED from v2 and INVALID_PRODUCER_EPOCH before", async () => {
    const producer = await initTransactions(broker, "offsets-b");
    const stale = { ...producer, producerEpoch: producer.producerEpoch + 5 };
    const at = (version: number) =>
      broker.request(Apis.AddOffsetsToTxn, version, { transactionalId: "offsets-b", ...stale, groupId: "group-b" });
    assert.equal((await at(2))?.errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await at(0))?.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});
