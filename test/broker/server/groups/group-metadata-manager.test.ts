import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import {
  GroupMetadataManager,
  javaStringHashCode,
  offsetsPartitionFor,
} from "../../../../broker/server/groups/group-metadata-manager.ts";
import { encodeOffsetCommitKey } from "../../../../broker/server/groups/offsets-record-format.ts";
import { MemoryOffsetsLog } from "./helpers.ts";

const sales = (partition: number, offset: bigint) => ({
  topic: "sales",
  partition,
  offset,
  leaderEpoch: 2,
  metadata: null,
});

describe("which partition coordinates a group", () => {
  it("when a group id is hashed, then it matches Java String.hashCode and Kafka's partition choice", () => {
    assert.equal(javaStringHashCode(""), 0);
    assert.equal(javaStringHashCode("a"), 97);
    assert.equal(javaStringHashCode("ab"), 97 * 31 + 98);

    // s[0]*31^(n-1) + ... + s[n-1], reduced to a signed 32-bit int, computed independently.
    const byFormula = (text: string) => {
      let sum = 0n;
      for (let index = 0; index < text.length; index += 1) {
        sum += BigInt(text.charCodeAt(index)) * 31n ** BigInt(text.length - 1 - index);
      }
      return Number(BigInt.asIntN(32, sum));
    };
    for (const groupId of ["points-ledger", "console-consumer-40123", "kafkajs-group", "grüße-€", "😀 emoji group"]) {
      assert.equal(javaStringHashCode(groupId), byFormula(groupId), groupId);
    }

    assert.equal(offsetsPartitionFor("", 50), 0);
    assert.equal(offsetsPartitionFor("a", 50), 47);
    assert.equal(offsetsPartitionFor("ab", 50), 3105 % 50);
    // Utils.abs, not a sign-bit mask: a negative hash uses its magnitude.
    const negative = "points-ledger";
    const hash = javaStringHashCode(negative);
    assert.ok(hash < 0, "the example needs a negative hash");
    assert.equal(offsetsPartitionFor(negative, 50), Math.abs(hash) % 50);
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Utils.abs maps to 0.
    assert.equal(javaStringHashCode("polygenelubricants"), -0x80000000);
    assert.equal(offsetsPartitionFor("polygenelubricants", 50), 0);
  });
});

describe("groups and offsets kept in step with __consumer_offsets", () => {
  it("when offsets are stored, then they go to the group's partition and a fresh manager loads the same view", async () => {
    const log = new MemoryOffsetsLog();
    const manager = new GroupMetadataManager(log, 8);
    await manager.storeOffsets("orders", [sales(0, 10n), sales(1, 20n)], 1_000n);
    await manager.storeOffsets("orders", [sales(0, 15n)], 2_000n);
    assert.deepEqual([...log.partitions.keys()], [offsetsPartitionFor("orders", 8)]);
    assert.equal(manager.partitionFor("orders"), offsetsPartitionFor("orders", 8));

    const reloaded = new GroupMetadataManager(log, 8);
    reloaded.loadPartition(offsetsPartitionFor("orders", 8));
    assert.deepEqual(
      reloaded.committedOffset("orders", "sales", 0),
      { offset: 15n, leaderEpoch: 2, metadata: "", commitTimestamp: 2_000n },
      "metadata stored as none reads back as the empty string, as in Kafka",
    );
    assert.deepEqual(reloaded.fetchOffsets("orders", null), [
      {
        topic: "sales",
        partitions: [
          { partition: 0, offset: 15n, leaderEpoch: 2, metadata: "", errorCode: ErrorCode.NONE },
          { partition: 1, offset: 20n, leaderEpoch: 2, metadata: "", errorCode: ErrorCode.NONE },
        ],
      },
    ]);
    assert.deepEqual(reloaded.groupIds(), ["orders"], "a group that only has offsets is known after loading");
  });

  it("when the log append fails, then the view is unchanged", async () => {
    const log = new MemoryOffsetsLog();
    const manager = new GroupMetadataManager(log, 8);
    log.failAppends = true;
    await assert.rejects(manager.storeOffsets("orders", [sales(0, 10n)], 1_000n));
    assert.equal(manager.hasOffsets("orders"), false);
  });

  it("when a group's offsets are deleted, then tombstones reach the log and a reload does not bring the group back", async () => {
    const log = new MemoryOffsetsLog();
    const manager = new GroupMetadataManager(log, 8);
    await manager.storeOffsets("orders", [sales(0, 10n)], 1_000n);
    await manager.storeOffsets("audit", [sales(0, 5n)], 1_000n);
    await manager.deleteOffsets("orders");
    assert.equal(manager.hasOffsets("orders"), false);

    const reloaded = new GroupMetadataManager(log, 8);
    for (let partition = 0; partition < 8; partition += 1) reloaded.loadPartition(partition);
    assert.deepEqual(reloaded.groupIds(), ["audit"]);
    assert.equal(reloaded.committedOffset("orders", "sales", 0), undefined);
  });

  it("when the log holds older value versions or group metadata records, then load reads the offsets and skips the rest", () => {
    const log = new MemoryOffsetsLog();
    const partition = offsetsPartitionFor("legacy", 4);
    const v1Value = Buffer.alloc(2 + 8 + 2 + 2 + 8 + 8);
    let position = v1Value.writeInt16BE(1);
    position = v1Value.writeBigInt64BE(77n, position);
    position = v1Value.writeInt16BE(2, position);
    position += v1Value.write("hi", position);
    position = v1Value.writeBigInt64BE(5n, position);
    v1Value.writeBigInt64BE(6n, position);
    const groupKey = Buffer.concat([Buffer.from([0, 2, 0, 6]), Buffer.from("legacy")]);
    log.partitions.set(partition, [
      { key: groupKey, value: Buffer.from([0, 3, 0xff]) },
      { key: encodeOffsetCommitKey({ groupId: "legacy", topic: "sales", partition: 0 }), value: v1Value },
    ]);

    const manager = new GroupMetadataManager(log, 4);
    manager.loadPartition(partition);
    assert.deepEqual(manager.committedOffset("legacy", "sales", 0), {
      offset: 77n,
      leaderEpoch: -1,
      metadata: "hi",
      commitTimestamp: 5n,
    });
  });
});

describe("transactional offsets (TxnOffsetCommit) kept in step with __consumer_offsets", () => {
  const producer = { producerId: 42n, producerEpoch: 0 };

  it("when offsets are stored in a transaction, then they are pending until its COMMIT, and dropped on an ABORT", async () => {
    const manager = new GroupMetadataManager(new MemoryOffsetsLog(), 8);
    await manager.storeTransactionalOffsets("orders", producer, [sales(0, 10n)], 1_000n);
    const partition = manager.partitionFor("orders");
    assert.equal(manager.committedOffset("orders", "sales", 0), undefined);
    assert.deepEqual(manager.groupsWithPendingOffsets(partition, 42n), ["orders"]);
    manager.completeTransaction("orders", 42n, true);
    assert.equal(manager.committedOffset("orders", "sales", 0)?.offset, 10n);
    await manager.storeTransactionalOffsets("orders", producer, [sales(0, 20n)], 2_000n);
    manager.completeTransaction("orders", 42n, false);
    assert.equal(manager.committedOffset("orders", "sales", 0)?.offset, 10n);
    assert.deepEqual(manager.groupsWithPendingOffsets(partition, 42n), []);
  });

  it("when a partition is loaded, then transactional offsets count only where their producer's COMMIT marker follows", async () => {
    const log = new MemoryOffsetsLog();
    const writer = new GroupMetadataManager(log, 8);
    const partition = writer.partitionFor("orders");
    await writer.storeTransactionalOffsets("orders", producer, [sales(0, 10n)], 1_000n);
    log.appendMarker(partition, 42n, true);
    await writer.storeTransactionalOffsets("orders", producer, [sales(1, 30n)], 2_000n);
    log.appendMarker(partition, 42n, false);
    await writer.storeTransactionalOffsets("orders", producer, [sales(2, 50n)], 3_000n);

    const reader = new GroupMetadataManager(log, 8);
    reader.loadPartition(partition);
    assert.equal(reader.committedOffset("orders", "sales", 0)?.offset, 10n);
    assert.equal(reader.committedOffset("orders", "sales", 1), undefined);
    assert.equal(reader.committedOffset("orders", "sales", 2), undefined);
    assert.deepEqual(reader.groupsWithPendingOffsets(partition, 42n), ["orders"]);
    reader.completeTransaction("orders", 42n, true);
    assert.equal(reader.committedOffset("orders", "sales", 2)?.offset, 50n);
  });
});

describe("offsets fetched while a transaction holds some pending", () => {
  it("when a fetch requires stable offsets, then a partition pending in a transaction is UNSTABLE_OFFSET_COMMIT; without, its last committed offset", async () => {
    const manager = new GroupMetadataManager(new MemoryOffsetsLog(), 8);
    await manager.storeOffsets("orders", [sales(0, 5n)], 1_000n);
    await manager.storeTransactionalOffsets("orders", { producerId: 42n, producerEpoch: 0 }, [sales(0, 10n)], 2_000n);
    const fetched = (requireStable: boolean) =>
      manager.fetchOffsets("orders", [{ topic: "sales", partitions: [0] }], requireStable)[0]!.partitions[0]!;
    assert.deepEqual([fetched(true).offset, fetched(true).errorCode], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    assert.deepEqual([fetched(false).offset, fetched(false).errorCode], [5n, ErrorCode.NONE]);
    manager.completeTransaction("orders", 42n, true);
    assert.deepEqual([fetched(true).offset, fetched(true).errorCode], [10n, ErrorCode.NONE]);
  });
});
