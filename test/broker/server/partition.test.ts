// The data half of a partition: what its append accepts, stores and refuses, its producer state
// across a restart, reading by time, and its append listeners. Appends go to Partition.append
// itself, so the log end offset tells what was stored; the high watermark is the replication
// half's (replication/partition-state.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { BatchField } from "../../../broker/protocol/record-batch/layout.ts";
import type { Partition } from "../../../broker/server/partition.ts";
import { refreshCrc } from "../../helpers/fuzz/batch-mutations.ts";
import { leaderAlone } from "./replication/partition-state-fixture.ts";

/**
 * A partition led by this broker alone on a new temp dir, and how to open it there again (a
 * restart); every log opened is closed, then the dir removed, after the test.
 */
function freshPartition(t: TestContext, maxMessageBytes?: number): { partition: Partition; reopen(): Partition } {
  const dir = mkdtempSync(join(tmpdir(), "partition-test-"));
  const opened: Partition[] = [];
  t.after(() => {
    for (const partition of opened) partition.log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (): Partition => {
    const { partition } = leaderAlone(t, { dir, maxMessageBytes });
    opened.push(partition);
    return partition;
  };
  return { partition: open(), reopen: open };
}

const batch = (values: string[], timestamps?: bigint[], producer?: { id: bigint; sequence: number }) =>
  encodeRecordBatch({
    records: values.map((value, i) => ({ key: null, value: Buffer.from(value), timestamp: timestamps?.[i] ?? 1n })),
    ...(producer ? { producerId: producer.id, producerEpoch: 0, baseSequence: producer.sequence } : {}),
  });

describe("Partition", () => {
  it("when batches without a producer arrive in one request, then they are appended as they are, the first offset answered", (t) => {
    const { partition } = freshPartition(t);
    partition.append(batch(["a"]));
    const outcome = partition.append(Buffer.concat([batch(["b", "c"]), batch(["d"])]));
    assert.deepEqual(outcome, { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: 1n, logAppendTime: -1n });
    assert.equal(partition.log.logEndOffset, 4n);
    assert.equal(partition.logStartOffset, 0n);
  });

  it("when the request holds no batch, a torn batch or a bad CRC, then CORRUPT_MESSAGE and nothing is appended", (t) => {
    const { partition } = freshPartition(t);
    const flipped = batch(["payload"]);
    flipped[flipped.length - 1]! ^= 0xff;
    for (const records of [null, Buffer.alloc(0), batch(["whole"]).subarray(0, 40), flipped]) {
      const outcome = partition.append(records);
      assert.equal(outcome.errorCode, ErrorCode.CORRUPT_MESSAGE, String(outcome.errorMessage));
      assert.equal(outcome.baseOffset, -1n);
    }
    assert.equal(partition.log.logEndOffset, 0n);
  });

  it("when a batch behind a valid CRC claims more records than it holds, then CORRUPT_MESSAGE and no batch of the request is appended", (t) => {
    const { partition } = freshPartition(t);
    const forged = batch(["one", "two"]);
    forged.writeInt32BE(1000, BatchField.recordCount);
    forged.writeInt32BE(999, BatchField.lastOffsetDelta);
    refreshCrc(forged, 0);
    const outcome = partition.append(Buffer.concat([batch(["fine"]), forged]));
    assert.equal(outcome.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.match(String(outcome.errorMessage), /claims 1000 records, its bytes hold 2/);
    assert.equal(partition.log.logEndOffset, 0n);
  });

  it("when a batch is not magic 2, then UNSUPPORTED_FOR_MESSAGE_FORMAT and nothing is appended", (t) => {
    const { partition } = freshPartition(t);
    const old = batch(["old"]);
    old[BatchField.magic] = 1;
    assert.equal(partition.append(old).errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    assert.equal(partition.log.logEndOffset, 0n);
  });

  it("when a batch is larger than max.message.bytes, then MESSAGE_TOO_LARGE names both sizes and nothing is appended", (t) => {
    const { partition } = freshPartition(t, 100);
    const outcome = partition.append(batch(["x".repeat(200)]));
    assert.equal(outcome.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.match(outcome.errorMessage ?? "", /exceeds max.message.bytes 100/);
    assert.equal(partition.log.logEndOffset, 0n);
  });

  it("when an idempotent producer resends a batch, then it is not stored again and gets its first offset", (t) => {
    const { partition } = freshPartition(t);
    const first = batch(["a", "b"], undefined, { id: 7n, sequence: 0 });
    assert.equal(partition.append(first).baseOffset, 0n);
    assert.equal(partition.append(batch(["c"], undefined, { id: 7n, sequence: 2 })).baseOffset, 2n);
    const retried = partition.append(first);
    assert.deepEqual([retried.errorCode, retried.baseOffset], [ErrorCode.NONE, 0n]);
    assert.equal(partition.log.logEndOffset, 3n);
  });

  it("when an idempotent producer skips a sequence, then OUT_OF_ORDER_SEQUENCE_NUMBER names it and nothing is appended", (t) => {
    const { partition } = freshPartition(t);
    partition.append(batch(["a"], undefined, { id: 7n, sequence: 0 }));
    const outcome = partition.append(batch(["c"], undefined, { id: 7n, sequence: 5 }));
    assert.equal(outcome.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(outcome.errorMessage, "OUT_OF_ORDER_SEQUENCE_NUMBER for producer 7");
    assert.equal(partition.log.logEndOffset, 1n);
  });

  it("when a request holds a resent batch followed by a new one, then only the new one is stored and the answer is the resent one's offset", (t) => {
    const { partition } = freshPartition(t);
    const first = batch(["a"], undefined, { id: 9n, sequence: 0 });
    partition.append(first);
    const outcome = partition.append(Buffer.concat([first, batch(["b"], undefined, { id: 9n, sequence: 1 })]));
    assert.deepEqual([outcome.errorCode, outcome.baseOffset], [ErrorCode.NONE, 0n]);
    assert.equal(partition.log.logEndOffset, 2n);
  });

  it("when the partition is opened again after a restart, then a producer's resent batch is still recognised", (t) => {
    const { partition, reopen } = freshPartition(t);
    const sent = batch(["a"], undefined, { id: 11n, sequence: 0 });
    partition.append(sent);
    partition.log.close();
    const reopened = reopen();
    assert.equal(reopened.append(sent).baseOffset, 0n);
    assert.equal(reopened.log.logEndOffset, 1n);
    assert.equal(reopened.append(batch(["b"], undefined, { id: 11n, sequence: 1 })).baseOffset, 1n);
  });

  it("when asked for a timestamp, then the first committed record at or after it, also inside a batch; past every record, null", (t) => {
    const { partition } = freshPartition(t);
    // Through the leader, which commits them: reading by time stops at the high watermark.
    partition.replication.appendAsLeader(batch(["a", "b", "c"], [1000n, 2000n, 3000n]), 1);
    partition.replication.appendAsLeader(batch(["d"], [4000n]), 1);
    assert.deepEqual(partition.offsetForTimestamp(1500n), { offset: 1n, timestamp: 2000n });
    assert.deepEqual(partition.offsetForTimestamp(3000n), { offset: 2n, timestamp: 3000n });
    assert.deepEqual(partition.offsetForTimestamp(3001n), { offset: 3n, timestamp: 4000n });
    assert.equal(partition.offsetForTimestamp(4001n), null);
  });

  it("when records are appended, then each listener hears of it once per request until it unsubscribes; refused requests are not announced", (t) => {
    const { partition } = freshPartition(t);
    let heard = 0;
    const unsubscribe = partition.onAppend(() => heard++);
    partition.append(Buffer.concat([batch(["a"]), batch(["b"])]));
    partition.append(null);
    assert.equal(heard, 1);
    unsubscribe();
    partition.append(batch(["c"]));
    assert.equal(heard, 1);
  });
});
