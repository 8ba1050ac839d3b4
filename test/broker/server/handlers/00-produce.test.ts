import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { BatchField } from "../../../../broker/protocol/record-batch/layout.ts";
import { startBroker, useBroker } from "../../../helpers/broker-process.ts";
import { refreshCrc } from "../../../helpers/fuzz/batch-mutations.ts";
import { produceRequest } from "../../../helpers/requests.ts";
import { useWireClient, WireClient } from "../../../helpers/wire-client.ts";

const batchOf = (
  values: string[],
  producer?: { producerId: bigint; producerEpoch: number; baseSequence: number },
): Buffer =>
  encodeRecordBatch({ records: values.map((v) => ({ key: Buffer.from("k"), value: Buffer.from(v) })), ...producer });

describe("Produce", () => {
  const broker = useBroker({ config: { "num.partitions": 2 } });
  const client = useWireClient(broker);

  const produce = async (topic: string, partition: number, records: Buffer, acks = -1) => {
    const response = await client.request(
      Apis.Produce,
      7,
      produceRequest(topic, [{ index: partition, records }], { acks }),
    );
    return response.responses[0]!.partitionResponses[0]!;
  };

  it("when batches arrive, then offsets are assigned consecutively from the log end", async () => {
    const first = await produce("produce-offsets", 0, batchOf(["a", "b", "c"]));
    const second = await produce("produce-offsets", 0, batchOf(["d"]));
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.baseOffset, 0n);
    assert.equal(second.baseOffset, 3n);
  });

  it("when the partition does not exist, then UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const response = await produce("produce-offsets", 7, batchOf(["x"]));
    assert.equal(response.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when a byte of the batch is corrupted, then CORRUPT_MESSAGE and nothing is appended", async () => {
    const batch = batchOf(["intact"]);
    batch[batch.length - 1]! ^= 0xff;
    const refused = await produce("produce-crc", 0, batch);
    assert.equal(refused.errorCode, ErrorCode.CORRUPT_MESSAGE);
    const accepted = await produce("produce-crc", 0, batchOf(["next"]));
    assert.equal(accepted.baseOffset, 0n);
  });

  it("when one partition's batch is garbage behind a valid CRC, then CORRUPT_MESSAGE for it alone and none of it is stored", async () => {
    const forged = batchOf(["one", "two"]);
    // Claims 50 records in a consistent offset range; its bytes hold two. The CRC is written again.
    forged.writeInt32BE(50, BatchField.recordCount);
    forged.writeInt32BE(49, BatchField.lastOffsetDelta);
    refreshCrc(forged, 0);
    const response = await client.request(
      Apis.Produce,
      7,
      produceRequest("produce-forged", [
        { index: 0, records: Buffer.concat([batchOf(["before"]), forged]) },
        { index: 1, records: batchOf(["fine"]) },
      ]),
    );
    const [refused, accepted] = response.responses[0]!.partitionResponses;
    assert.equal(refused!.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(accepted!.errorCode, ErrorCode.NONE);
    const offsets = await client.request(Apis.ListOffsets, 1, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: "produce-forged", partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
      ],
    });
    assert.deepEqual(
      offsets.topics[0]!.partitions.map((p) => p.offset),
      [0n, 1n],
      "the log end of partition 0 did not move",
    );
  });

  it("when acks is not 0, 1 or -1, then INVALID_REQUIRED_ACKS", async () => {
    const response = await produce("produce-acks", 0, batchOf(["x"]), 2);
    assert.equal(response.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it("when acks is 0, then no response is sent and the records are still appended", async () => {
    client.sendOnly(
      Apis.Produce,
      7,
      produceRequest("produce-acks0", [{ index: 0, records: batchOf(["fire", "forget"]) }], { acks: 0 }),
    );
    // The next response on the connection must be for the next request, not for the acks=0 one.
    const next = await produce("produce-acks0", 0, batchOf(["after"]));
    assert.equal(next.baseOffset, 2n);
  });

  it("when an idempotent producer retries a batch, then the duplicate gets the first offset and is not stored twice", async () => {
    const init = await client.request(Apis.InitProducerId, 1, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const producer = { producerId: init.producerId!, producerEpoch: init.producerEpoch, baseSequence: 0 };
    const first = await produce("produce-idem", 0, batchOf(["a", "b"], producer));
    const retry = await produce("produce-idem", 0, batchOf(["a", "b"], producer));
    const next = await produce("produce-idem", 0, batchOf(["c"], { ...producer, baseSequence: 2 }));
    assert.equal(first.baseOffset, 0n);
    assert.equal(retry.errorCode, ErrorCode.NONE);
    assert.equal(retry.baseOffset, 0n);
    assert.equal(next.baseOffset, 2n);
  });

  it("when an idempotent producer skips sequence numbers, then OUT_OF_ORDER_SEQUENCE_NUMBER", async () => {
    const init = await client.request(Apis.InitProducerId, 1, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const producer = { producerId: init.producerId!, producerEpoch: init.producerEpoch };
    await produce("produce-gap", 0, batchOf(["a"], { ...producer, baseSequence: 0 }));
    const gap = await produce("produce-gap", 0, batchOf(["c"], { ...producer, baseSequence: 5 }));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it("when two producers initialise, then they get distinct producer ids", async () => {
    const a = await client.request(Apis.InitProducerId, 0, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const b = await client.request(Apis.InitProducerId, 0, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.notEqual(a.producerId, b.producerId);
  });
});

describe("Produce with an old message format", () => {
  it("when a v0 request carries a magic-0 message set, then UNSUPPORTED_FOR_MESSAGE_FORMAT and nothing is stored", async () => {
    const broker = await startBroker();
    const client = await WireClient.connect(broker.address);
    try {
      // offset int64, message size int32, then crc int32, magic 0, attributes, key -1, value "v".
      const message = Buffer.from(
        "00000000000000000000000f" + "00000000" + "00" + "00" + "ffffffff" + "00000001" + "76",
        "hex",
      );
      const response = await client.request(
        Apis.Produce,
        0,
        produceRequest("legacy", [{ index: 0, records: message }], { acks: 1, timeoutMs: 1000 }),
      );
      assert.equal(response.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
      const offsets = await client.request(Apis.ListOffsets, 1, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: "legacy", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      });
      assert.equal(offsets.topics[0]!.partitions[0]!.offset, 0n);
    } finally {
      client.close();
      await broker.cleanup();
    }
  });
});
