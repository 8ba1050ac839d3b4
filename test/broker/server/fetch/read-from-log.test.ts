import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { readFromLog } from "../../../../broker/server/fetch/read-from-log.ts";
import { appendBatch, topicPartitions } from "../partition-fixture.ts";
import { fetchRequest, recordsOf } from "./helpers.ts";

describe("reading a fetch from the logs", () => {
  it("when a partition holds batches, then they come back whole and as stored, from the batch holding the fetch offset", (t) => {
    const partitions = topicPartitions(t, 1);
    const first = appendBatch(partitions.at(0), 3);
    const second = appendBatch(partitions.at(0), 1);

    const read = readFromLog(fetchRequest([{ partition: 0, fetchOffset: 1n }]), partitions);
    assert.equal(read.hasError, false);
    assert.equal(read.bytes, first.length + second.length);
    assert.deepEqual(recordsOf(read.response), [Buffer.concat([first, second])]);
    const answered = read.response.responses[0]!.partitions[0]!;
    assert.equal(answered.errorCode, ErrorCode.NONE);
    assert.equal(answered.highWatermark, 4n);
    assert.equal(answered.lastStableOffset, 4n);
    assert.equal(answered.logStartOffset, 0n);
  });

  it("when the first batch is larger than partition max bytes, then exactly that one batch comes back", (t) => {
    const partitions = topicPartitions(t, 1);
    const first = appendBatch(partitions.at(0));
    appendBatch(partitions.at(0));

    const read = readFromLog(fetchRequest([{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 10 }]), partitions);
    assert.deepEqual(recordsOf(read.response), [first]);
  });

  it("when a later partition has more than its partition max bytes, then only the whole batches that fit come back", (t) => {
    const partitions = topicPartitions(t, 2);
    const onFirst = appendBatch(partitions.at(0));
    const fits = appendBatch(partitions.at(1));
    appendBatch(partitions.at(1));

    const request = fetchRequest([
      { partition: 0, fetchOffset: 0n },
      { partition: 1, fetchOffset: 0n, partitionMaxBytes: fits.length + 10 },
    ]);
    const read = readFromLog(request, partitions);
    assert.deepEqual(recordsOf(read.response), [onFirst, fits]);
    assert.equal(read.bytes, onFirst.length + fits.length);
  });

  it("when response max bytes is spent by earlier partitions, then later ones answer without records", (t) => {
    const partitions = topicPartitions(t, 2);
    const onFirst = appendBatch(partitions.at(0));
    appendBatch(partitions.at(1));

    const request = fetchRequest(
      [
        { partition: 0, fetchOffset: 0n },
        { partition: 1, fetchOffset: 0n },
      ],
      { maxBytes: onFirst.length },
    );
    const read = readFromLog(request, partitions);
    assert.deepEqual(recordsOf(read.response), [onFirst, Buffer.alloc(0)]);
    assert.equal(read.response.responses[0]!.partitions[1]!.errorCode, ErrorCode.NONE);
    assert.equal(read.bytes, onFirst.length);
  });

  it("when a partition is unknown or the offset is past its end, then that partition answers the error", (t) => {
    const partitions = topicPartitions(t, 1);
    appendBatch(partitions.at(0));

    const pastTheEnd = readFromLog(fetchRequest([{ partition: 0, fetchOffset: 5n }]), partitions);
    assert.equal(pastTheEnd.hasError, true);
    assert.equal(pastTheEnd.response.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

    const unknown = readFromLog(
      fetchRequest([
        { partition: 0, fetchOffset: 0n },
        { topic: "refunds", partition: 0, fetchOffset: 0n },
      ]),
      partitions,
    );
    assert.equal(unknown.hasError, true);
    const refunds = unknown.response.responses[1]!.partitions[0]!;
    assert.equal(refunds.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(refunds.highWatermark, -1n);
    assert.equal(refunds.records, null);
    assert.equal(unknown.response.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE, "the others still answer");
  });
  it("when a v12 fetcher's last fetched epoch ends before its fetch offset, then DivergingEpoch comes back at once, with no records", (t) => {
    const partitions = topicPartitions(t, 1);
    appendBatch(partitions.at(0), 3);
    const epoch = partitions.at(0).log.leaderEpoch;

    const read = readFromLog(fetchRequest([{ partition: 0, fetchOffset: 5n, lastFetchedEpoch: epoch }]), partitions);
    assert.equal(read.hasError, true, "a diverging fetch does not wait");
    const answered = read.response.responses[0]!.partitions[0]!;
    assert.equal(answered.errorCode, ErrorCode.NONE);
    assert.deepEqual(answered.divergingEpoch, { epoch, endOffset: 3n });
    assert.deepEqual(recordsOf(read.response), [Buffer.alloc(0)]);
  });

  it("when a v12 fetcher's last fetched epoch matches the log, then it reads as before", (t) => {
    const partitions = topicPartitions(t, 1);
    const batch = appendBatch(partitions.at(0), 3);
    const epoch = partitions.at(0).log.leaderEpoch;

    const read = readFromLog(fetchRequest([{ partition: 0, fetchOffset: 0n, lastFetchedEpoch: epoch }]), partitions);
    assert.equal(read.response.responses[0]!.partitions[0]!.divergingEpoch, undefined);
    assert.deepEqual(recordsOf(read.response), [batch]);
  });
});
