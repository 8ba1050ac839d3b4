import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { addPartitions, createTopic, useTransactionalBroker } from "../transactions/transaction-fixture.ts";

describe("InitProducerId", () => {
  const broker = useRoutedBroker();

  it("when idempotent producers initialise, then each gets a new producer id at epoch 0", async () => {
    const ids: bigint[] = [];
    for (const version of [0, 1, 1]) {
      const response = await broker.request(Apis.InitProducerId, version, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      assert.equal(response?.errorCode, ErrorCode.NONE);
      assert.equal(response?.producerEpoch, 0);
      ids.push(response!.producerId!);
    }
    assert.equal(new Set(ids).size, 3);
    assert.ok(ids.every((id) => id >= 0n));
  });

  it("when a transactional id is given before __transaction_state exists, then NOT_COORDINATOR and no producer id", async () => {
    const response = await broker.request(Apis.InitProducerId, 1, {
      transactionalId: "pos-tx",
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NOT_COORDINATOR,
      producerId: -1n,
      producerEpoch: -1,
    });
  });
});

describe("InitProducerId with a transactional id", () => {
  const broker = useTransactionalBroker();
  const init = (
    transactionalId: string,
    version: number,
    options: { timeoutMs?: number; producerId?: bigint; producerEpoch?: number } = {},
  ) =>
    broker.request(Apis.InitProducerId, version, {
      transactionalId,
      transactionTimeoutMs: options.timeoutMs ?? 60_000,
      producerId: options.producerId ?? -1n,
      producerEpoch: options.producerEpoch ?? -1,
    });

  it("when a new id initialises and then again, then it keeps its producer id and the epoch goes 0, 1", async () => {
    const first = await init("init-a", 1);
    const second = await init("init-a", 4);
    assert.equal(first?.errorCode, ErrorCode.NONE);
    assert.equal(second?.errorCode, ErrorCode.NONE);
    assert.equal(second?.producerId, first?.producerId);
    assert.deepEqual([first?.producerEpoch, second?.producerEpoch], [0, 1]);
  });

  it("when v3+ names a producer id that is not the id's, then PRODUCER_FENCED at v4 and INVALID_PRODUCER_EPOCH at v3", async () => {
    const first = await init("init-b", 4);
    const stranger = { producerId: first!.producerId! + 1000n, producerEpoch: 0 };
    assert.equal((await init("init-b", 4, stranger))?.errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await init("init-b", 3, stranger))?.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const own = await init("init-b", 4, { producerId: first!.producerId!, producerEpoch: 0 });
    assert.deepEqual([own?.errorCode, own?.producerEpoch], [ErrorCode.NONE, 1]);
  });

  it("when the timeout is not above 0 or beyond transaction.max.timeout.ms, then INVALID_TRANSACTION_TIMEOUT", async () => {
    assert.equal((await init("init-c", 1, { timeoutMs: 0 }))?.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init("init-c", 1, { timeoutMs: 900_001 }))?.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it("when a transaction is ongoing, then InitProducerId aborts it (CONCURRENT_TRANSACTIONS) and the retry gets the epoch after the fence", async () => {
    await createTopic(broker, "init-fence");
    const first = await init("init-d", 1);
    const producer = { producerId: first!.producerId!, producerEpoch: first!.producerEpoch };
    assert.deepEqual(await addPartitions(broker, "init-d", producer, "init-fence", [0]), [ErrorCode.NONE]);
    assert.equal((await init("init-d", 1))?.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    const last: { retried?: Awaited<ReturnType<typeof init>> } = {};
    await waitFor(async () => {
      last.retried = await init("init-d", 1);
      return last.retried?.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS;
    });
    assert.deepEqual(
      [last.retried?.errorCode, last.retried?.producerId, last.retried?.producerEpoch],
      [ErrorCode.NONE, producer.producerId, 2],
    );
    assert.equal(broker.state.transactions.describe("init-d")?.state, "Empty");
  });
});
