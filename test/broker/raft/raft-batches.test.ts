// The metadata log's batches: proposed records as values of a data batch, and the control batch
// with a LeaderChangeMessage that opens each leader's epoch.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeControlRecordKey,
  decodeLeaderChangeMessage,
} from "../../../broker/protocol/metadata-records/control-records.ts";
import { decodeRecordBatch } from "../../../broker/protocol/record-batch/decoder.ts";
import { BatchField, computeBatchCrc, isControlBatch } from "../../../broker/protocol/record-batch/layout.ts";
import { committedBatchOf, dataBatch, leaderChangeBatch, leaderChangeOf } from "../../../broker/raft/raft-batches.ts";

describe("metadata log batches", () => {
  it("when a leader change batch is built, then it is a control batch of one record keyed (0, 2) with the message", () => {
    const batch = leaderChangeBatch(1, [0, 1, 2], [1, 2], 7, 1_700_000_000_000);
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(isControlBatch(header.attributes), true);
    assert.equal(header.partitionLeaderEpoch, 7);
    assert.equal(header.crc, computeBatchCrc(batch), "the CRC covers the control bit");
    assert.equal(records.length, 1);
    assert.deepEqual(decodeControlRecordKey(records[0]!.key!), { version: 0, type: 2 });
    const message = decodeLeaderChangeMessage(records[0]!.value!);
    assert.equal(message.leaderId, 1);
    assert.deepEqual(
      message.voters.map((voter) => voter.voterId),
      [0, 1, 2],
    );
    assert.deepEqual(
      message.grantingVoters.map((voter) => voter.voterId),
      [1, 2],
    );
    assert.deepEqual(leaderChangeOf(batch), message);
    assert.equal(committedBatchOf(batch), null, "readers never see control batches");
  });

  it("when a data batch is built, then its records' values are the proposed records, without keys", () => {
    const batch = dataBatch([Buffer.from("a"), Buffer.from("bc")], 4, 1_700_000_000_000);
    batch.writeBigInt64BE(12n, BatchField.baseOffset);
    const { header, records } = decodeRecordBatch(batch, 0);
    assert.equal(isControlBatch(header.attributes), false);
    assert.deepEqual(
      records.map((record) => [record.key, record.value?.toString()]),
      [
        [null, "a"],
        [null, "bc"],
      ],
    );
    assert.equal(leaderChangeOf(batch), null);
    const committed = committedBatchOf(batch)!;
    assert.equal(committed.baseOffset, 12n);
    assert.equal(committed.lastOffset, 13n);
    assert.equal(committed.epoch, 4);
    assert.deepEqual(committed.records.map(String), ["a", "bc"]);
  });
});
