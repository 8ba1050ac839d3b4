// Producer snapshots: the exact bytes of the format and what decoding refuses.

import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c } from "@node-rs/crc32";
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  ProducerSnapshotError,
} from "../../../broker/storage/producer-snapshot.ts";
import { snapshot } from "./producer-snapshot-fixture.ts";

test("when a snapshot is encoded, then the bytes are version 2, CRC-32C of the rest, offset, and each producer with its transaction and batches", () => {
  const bytes = encodeProducerSnapshot(snapshot);
  const rest = Buffer.from(
    [
      "000000000000012c", // offset 300
      "00000002", // two producers
      "0000000000000007 0002", // id 7, epoch 2
      "00000003 000000000000000a 00000002", // coordinator epoch 3, transaction from offset 10, two batches
      "00000000 00000004 000000000000000a", // sequences 0..4 at offset 10
      "00000005 00000005 0000000000000014", // sequence 5 at offset 20
      "0000010000000000 0000 ffffffff ffffffffffffffff 00000000", // id 2^40, epoch 0, no marker, no transaction, no batch
    ]
      .join("")
      .replaceAll(" ", ""),
    "hex",
  );
  const expected = Buffer.alloc(6 + rest.length);
  expected.writeInt16BE(2, 0);
  expected.writeUInt32BE(crc32c(rest), 2);
  rest.copy(expected, 6);
  assert.deepEqual(bytes, expected);
  assert.deepEqual(decodeProducerSnapshot(bytes), snapshot);
});

test("when a version 1 snapshot is read, then its producers have no transaction and no coordinator epoch", () => {
  const rest = Buffer.from(
    [
      "000000000000012c", // offset 300
      "00000001", // one producer
      "0000000000000007 0002 00000001", // id 7, epoch 2, one batch
      "00000000 00000004 000000000000000a", // sequences 0..4 at offset 10
    ]
      .join("")
      .replaceAll(" ", ""),
    "hex",
  );
  const bytes = Buffer.alloc(6 + rest.length);
  bytes.writeInt16BE(1, 0);
  bytes.writeUInt32BE(crc32c(rest), 2);
  rest.copy(bytes, 6);
  assert.deepEqual(decodeProducerSnapshot(bytes), {
    offset: 300n,
    producers: [
      {
        producerId: 7n,
        epoch: 2,
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1n,
        batches: [{ firstSequence: 0, lastSequence: 4, baseOffset: 10n }],
      },
    ],
  });
});

test("when a snapshot's bytes are cut, flipped, lengthened or of another version, then decoding throws a ProducerSnapshotError", () => {
  const bytes = encodeProducerSnapshot(snapshot);
  const flipped = Buffer.from(bytes);
  flipped[20]! ^= 0x01;
  const otherVersion = Buffer.from(bytes);
  otherVersion.writeInt16BE(3, 0);
  const longer = Buffer.concat([bytes, Buffer.alloc(4)]);
  for (const bad of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 5), flipped, otherVersion, longer]) {
    assert.throws(() => decodeProducerSnapshot(bad), ProducerSnapshotError);
  }
});
