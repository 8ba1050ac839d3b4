import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allocateProducerIds, PRODUCER_ID_BLOCK_SIZE } from "../../../broker/controller/producer-id-control.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { clusterOf, commit } from "./cluster-fixture.ts";

describe("allocateProducerIds", () => {
  it("when brokers ask in turn, then each gets the next block of 1000 ids and no id twice", () => {
    let image = clusterOf([1, 2]);
    const first = allocateProducerIds(image, { brokerId: 1, brokerEpoch: 101n });
    assert.deepEqual(first.response, {
      errorCode: ErrorCode.NONE,
      producerIdStart: 0n,
      producerIdLen: PRODUCER_ID_BLOCK_SIZE,
    });
    assert.deepEqual(first.records, [
      { type: "ProducerIdsRecord", version: 0, data: { brokerId: 1, brokerEpoch: 101n, producerIdsEnd: 1000n } },
    ]);
    image = commit(image, first.records);
    const second = allocateProducerIds(image, { brokerId: 2, brokerEpoch: 102n });
    assert.equal(second.response.producerIdStart, 1000n);
    assert.equal(commit(image, second.records).nextProducerId, 2000n);
  });

  it("when the broker epoch is not the broker's, then STALE_BROKER_EPOCH and no block", () => {
    const { records, response } = allocateProducerIds(clusterOf([1]), { brokerId: 1, brokerEpoch: 5n });
    assert.deepEqual([response.errorCode, records], [ErrorCode.STALE_BROKER_EPOCH, []]);
  });

  it("when the ids are exhausted, then UNKNOWN_SERVER_ERROR", () => {
    const image = clusterOf([1]).with({ nextProducerId: (1n << 63n) - 10n });
    assert.equal(
      allocateProducerIds(image, { brokerId: 1, brokerEpoch: 101n }).response.errorCode,
      ErrorCode.UNKNOWN_SERVER_ERROR,
    );
  });
});
