// The accumulator on its own: sends are appended as the sender would append them, batches are
// built from the queues and decoded back, and sends are settled through their batches' slices.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type PartitionQueue,
  type ProduceBatch,
  RecordAccumulator,
  type SendOptions,
} from "../../../../broker/client/producer/record-accumulator.ts";
import { SequenceNumbers } from "../../../../broker/client/producer/sequence-numbers.ts";
import type { Message, RecordMetadata } from "../../../../broker/client/producer/types.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";

const plain: SendOptions = { acks: -1, timeout: 30_000, compression: 0 };

function accumulator({
  maxBatchBytes = 1_000_000,
  idempotent = false,
}: {
  maxBatchBytes?: number;
  idempotent?: boolean;
} = {}) {
  let readyCalls = 0;
  const sequences = idempotent ? new SequenceNumbers<PartitionQueue>({ producerId: 7n, producerEpoch: 2 }, true) : null;
  const records = new RecordAccumulator({ maxBatchBytes, sequences, onReady: () => readyCalls++ });
  return { records, sequences, readyCalls: () => readyCalls };
}

/** Appends one send of `values` to one partition, as send() would. */
function sendTo(
  records: RecordAccumulator,
  queue: PartitionQueue,
  values: string[],
  options: SendOptions = plain,
): Promise<RecordMetadata[]> {
  const messages: Message[] = values.map((value) => ({ value }));
  return records.append([{ queue, messages }], options, 1_700_000_000_000);
}

/** The values of the batch's records, decoded from its bytes. */
function valuesOf(batch: ProduceBatch): string[] {
  return decodeRecordBatch(batch.records as Buffer, 0).records.map((r) => r.value!.toString());
}

function metadata(queue: PartitionQueue, baseOffset: number): RecordMetadata {
  return {
    topicName: queue.topic,
    partition: queue.partition,
    errorCode: 0,
    baseOffset: String(baseOffset),
    logAppendTime: "-1",
    logStartOffset: "0",
  };
}

describe("RecordAccumulator", () => {
  it("when several sends for a partition are queued, then one batch takes them all in order, each send's records after the previous one's", () => {
    const { records, readyCalls } = accumulator();
    const queue = records.queueFor("t", 0);
    void sendTo(records, queue, ["a1", "a2"]);
    void sendTo(records, queue, ["b1"]);
    void sendTo(records, queue, ["c1", "c2", "c3"]);
    assert.deepEqual(records.readyQueues(), [queue]);
    assert.equal(readyCalls(), 3);

    const batch = records.buildBatch(queue)!;
    assert.equal(batch.slices.length, 3);
    assert.deepEqual(batch.firstOffsets, [0, 2, 3]);
    assert.equal(batch.recordCount, 6);
    assert.deepEqual(valuesOf(batch), ["a1", "a2", "b1", "c1", "c2", "c3"]);
    const header = decodeRecordBatch(batch.records as Buffer, 0).header;
    assert.equal(header.producerId, -1n);
    assert.equal(header.baseSequence, -1);
    assert.equal(queue.inFlight, 1);
    assert.equal(records.buildBatch(queue), null);
  });

  it("when the sends exceed maxBatchBytes, then a batch takes whole sends up to it and the next batch the rest", () => {
    const { records } = accumulator({ maxBatchBytes: 2500 });
    const queue = records.queueFor("t", 0);
    const kilobyte = (c: string) => c.repeat(1000);
    void sendTo(records, queue, [kilobyte("a")]);
    void sendTo(records, queue, [kilobyte("b")]);
    void sendTo(records, queue, [kilobyte("c")]);
    void sendTo(records, queue, [kilobyte("d"), kilobyte("e"), kilobyte("f")]);

    const batches = [records.buildBatch(queue)!, records.buildBatch(queue)!, records.buildBatch(queue)!];
    assert.deepEqual(
      batches.map((batch) => valuesOf(batch).map((v) => v[0])),
      [["a", "b"], ["c"], ["d", "e", "f"]],
      "a send is never split, and one larger than maxBatchBytes goes alone",
    );
    assert.equal(records.buildBatch(queue), null);
  });

  it("when sends differ in acks, timeout or compression, then a batch ends before the first that differs", () => {
    const { records } = accumulator();
    const queue = records.queueFor("t", 0);
    void sendTo(records, queue, ["a"]);
    void sendTo(records, queue, ["b"], { ...plain });
    void sendTo(records, queue, ["c"], { ...plain, acks: 1 });
    void sendTo(records, queue, ["d"], { ...plain, acks: 1, timeout: 5 });
    assert.deepEqual(valuesOf(records.buildBatch(queue)!), ["a", "b"]);
    assert.deepEqual(valuesOf(records.buildBatch(queue)!), ["c"]);
    const last = records.buildBatch(queue)!;
    assert.deepEqual(valuesOf(last), ["d"]);
    assert.equal(last.options.timeout, 5);
  });

  it("when every partition of a send has its batch answered, then the send resolves with their metadata in partition order", async () => {
    const { records } = accumulator();
    const p0 = records.queueFor("t", 0);
    const p1 = records.queueFor("t", 1);
    const send = records.append(
      [
        { queue: p0, messages: [{ value: "x" }] },
        { queue: p1, messages: [{ value: "y" }, { value: "z" }] },
      ],
      plain,
      0,
    );
    let settled = false;
    void send.then(() => {
      settled = true;
    });
    const b1 = records.buildBatch(p1)!;
    const b0 = records.buildBatch(p0)!;
    for (const slice of b1.slices) slice.send.deliver(slice.resultIndex, metadata(p1, 40));
    await Promise.resolve();
    assert.equal(settled, false);
    for (const slice of b0.slices) slice.send.deliver(slice.resultIndex, metadata(p0, 10));
    assert.deepEqual(await send, [metadata(p0, 10), metadata(p1, 40)]);
  });

  it("when a send without acks is delivered, then it resolves with no metadata", async () => {
    const { records } = accumulator();
    const queue = records.queueFor("t", 0);
    const send = sendTo(records, queue, ["x"], { ...plain, acks: 0 });
    const batch = records.buildBatch(queue)!;
    for (const slice of batch.slices) slice.send.deliver(slice.resultIndex, undefined);
    assert.deepEqual(await send, []);
  });

  it("when a send has failed on another partition, then its slice is left out of this partition's next batch", async () => {
    const { records } = accumulator();
    const p0 = records.queueFor("t", 0);
    const p1 = records.queueFor("t", 1);
    const failing = records.append(
      [
        { queue: p0, messages: [{ value: "a0" }] },
        { queue: p1, messages: [{ value: "a1" }] },
      ],
      plain,
      0,
    );
    void sendTo(records, p1, ["b1"]);
    const b0 = records.buildBatch(p0)!;
    b0.slices[0]!.send.fail(new Error("partition 0 refused it"));
    await assert.rejects(failing, /partition 0 refused it/);
    assert.deepEqual(valuesOf(records.buildBatch(p1)!), ["b1"]);
  });

  it("when a send's messages cannot be encoded, then that send fails and the sends around it still make a batch", async () => {
    const { records } = accumulator();
    const queue = records.queueFor("t", 0);
    const unwritable = {
      toString(): string {
        throw new Error("no string form");
      },
    };
    const before = sendTo(records, queue, ["before"]);
    const bad = records.append([{ queue, messages: [{ value: unwritable as unknown as string }] }], plain, 0);
    const after = sendTo(records, queue, ["after"]);
    const batch = records.buildBatch(queue)!;
    await assert.rejects(bad, { name: "KafkaJSNonRetriableError", message: /Invalid message: no string form/ });
    assert.deepEqual(valuesOf(batch), ["before", "after"]);
    for (const slice of batch.slices) slice.send.deliver(slice.resultIndex, metadata(queue, 0));
    await Promise.all([before, after]);
  });

  it("when the producer is idempotent, then each batch carries the producer id and the partition's next sequence, and the partition is muted while a batch is in flight", () => {
    const { records } = accumulator({ idempotent: true });
    const queue = records.queueFor("t", 0);
    void sendTo(records, queue, ["a", "b", "c"]);
    const first = records.buildBatch(queue)!;
    const header = decodeRecordBatch(first.records as Buffer, 0).header;
    assert.equal(header.producerId, 7n);
    assert.equal(header.producerEpoch, 2);
    assert.equal(header.baseSequence, 0);

    records.unready(queue);
    void sendTo(records, queue, ["d"]);
    assert.equal(records.isMuted(queue), true);
    assert.deepEqual(records.readyQueues(), [], "a partition with a batch in flight waits for its answer");

    queue.inFlight--;
    records.markReady(queue);
    assert.deepEqual(records.readyQueues(), [queue]);
    assert.equal(decodeRecordBatch(records.buildBatch(queue)!.records as Buffer, 0).header.baseSequence, 3);
  });

  it("when a batch is requeued one by one, then each of its live sends goes in a batch of its own, ahead of later sends", async () => {
    const { records } = accumulator();
    const queue = records.queueFor("t", 0);
    void sendTo(records, queue, ["a"]);
    const gone = sendTo(records, queue, ["b"]);
    void sendTo(records, queue, ["c"]);
    const merged = records.buildBatch(queue)!;
    merged.slices[1]!.send.fail(new Error("b failed"));
    await assert.rejects(gone);
    void sendTo(records, queue, ["d"]);
    void sendTo(records, queue, ["e"]);
    queue.inFlight--;
    records.requeueOneByOne(merged);

    const batches: string[][] = [];
    for (let batch = records.buildBatch(queue); batch; batch = records.buildBatch(queue)) batches.push(valuesOf(batch));
    assert.deepEqual(batches, [["a"], ["c"], ["d", "e"]]);
  });

  it("when the accumulator closes, then queued sends fail with the error and batches waiting to be resent are handed back", async () => {
    const { records } = accumulator();
    const queue = records.queueFor("t", 0);
    void sendTo(records, queue, ["a"]);
    const waiting = records.buildBatch(queue)!;
    queue.retries.push(waiting);
    const queued = sendTo(records, queue, ["b"]);
    const abandoned: ProduceBatch[] = [];
    records.close(new Error("producer disconnected"), (batch) => abandoned.push(batch));
    await assert.rejects(queued, /producer disconnected/);
    assert.deepEqual(abandoned, [waiting]);
    assert.equal(records.hasReady, false);
    assert.equal(queue.hasWork, false);
  });
});
