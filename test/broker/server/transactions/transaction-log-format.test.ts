import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TransactionLogFormatError,
  type TransactionLogValue,
} from "../../../../broker/server/transactions/transaction-log-format.ts";

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("__transaction_state record format", () => {
  it("when a key is encoded, then it is version 0 and the id as an int16-length string, and decodes back", () => {
    const key = encodeTransactionLogKey("tx");
    assert.deepEqual(key, hex("0000 0002 7478"));
    assert.equal(decodeTransactionLogKey(key), "tx");
  });

  it("when an Ongoing value is encoded, then its bytes are Kafka's v0 layout and it decodes back", () => {
    const value: TransactionLogValue = {
      producerId: 7n,
      producerEpoch: 2,
      transactionTimeoutMs: 60_000,
      state: "Ongoing",
      partitions: [{ topic: "t", partitions: [0, 3] }],
      lastUpdateTimestampMs: 1000n,
      startTimestampMs: 900n,
    };
    const bytes = encodeTransactionLogValue(value);
    assert.deepEqual(
      bytes,
      hex(`0000 0000000000000007 0002 0000ea60 01
           00000001 0001 74 00000002 00000000 00000003
           00000000000003e8 0000000000000384`),
    );
    assert.deepEqual(decodeTransactionLogValue(bytes), value);
  });

  it("when an Empty value is encoded, then its partitions are a null array and decode as none", () => {
    const value: TransactionLogValue = {
      producerId: 1n,
      producerEpoch: 0,
      transactionTimeoutMs: 1,
      state: "Empty",
      partitions: [],
      lastUpdateTimestampMs: 5n,
      startTimestampMs: -1n,
    };
    const bytes = encodeTransactionLogValue(value);
    assert.deepEqual(bytes.subarray(17, 21), hex("ffffffff"));
    assert.deepEqual(decodeTransactionLogValue(bytes), value);
  });

  it("when a record is short, claims more partitions than it holds, or has an unknown version or status, then it is refused", () => {
    const good = encodeTransactionLogValue({
      producerId: 1n,
      producerEpoch: 0,
      transactionTimeoutMs: 1,
      state: "PrepareCommit",
      partitions: [{ topic: "t", partitions: [1] }],
      lastUpdateTimestampMs: 5n,
      startTimestampMs: 4n,
    });
    const refused = (bytes: Buffer) => assert.throws(() => decodeTransactionLogValue(bytes), TransactionLogFormatError);
    refused(good.subarray(0, good.length - 1));
    const hugeCount = Buffer.from(good);
    hugeCount.writeInt32BE(0x7fffffff, 17);
    refused(hugeCount);
    const badStatus = Buffer.from(good);
    badStatus.writeInt8(9, 16);
    refused(badStatus);
    const badVersion = Buffer.from(good);
    badVersion.writeInt16BE(1, 0);
    refused(badVersion);
    assert.throws(() => decodeTransactionLogKey(hex("0001 0000")), TransactionLogFormatError);
  });
});
