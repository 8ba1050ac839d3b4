import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";

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

  it("when a transactional id is given, then COORDINATOR_NOT_AVAILABLE and no producer id (there are no transactions)", async () => {
    const response = await broker.request(Apis.InitProducerId, 1, {
      transactionalId: "pos-tx",
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      producerId: -1n,
      producerEpoch: -1,
    });
  });
});
