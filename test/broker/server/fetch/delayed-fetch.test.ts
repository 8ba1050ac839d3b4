import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { FetchResponse } from "../../../../broker/protocol/messages/index.ts";
import { type FetchExpiry, fetchMessages } from "../../../../broker/server/fetch/delayed-fetch.ts";
import type { Partition } from "../../../../broker/server/partition.ts";
import { appendBatch, topicPartitions } from "../partition-fixture.ts";
import { txnBatch } from "../transactional-batches.ts";
import { fetchRequest, recordsOf } from "./helpers.ts";

/** max_wait by hand: a fetch expires only when the test says so. */
class HandExpiry implements FetchExpiry {
  readonly started: { delayMs: number; onExpire: () => void; cancelled: boolean }[] = [];

  start(delayMs: number, onExpire: () => void): () => void {
    const entry = { delayMs, onExpire, cancelled: false };
    this.started.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  expireAll(): void {
    for (const entry of this.started) if (!entry.cancelled) entry.onExpire();
  }

  get running(): number {
    return this.started.filter((entry) => !entry.cancelled).length;
  }
}

/** Lets checks scheduled by appends (setImmediate) run. */
async function afterAppendChecks(): Promise<void> {
  for (let round = 0; round < 2; round += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

function observe(result: FetchResponse | Promise<FetchResponse>) {
  assert.ok(result instanceof Promise, "the fetch should wait");
  const state: { answer: FetchResponse | null } = { answer: null };
  void result.then((answer) => {
    state.answer = answer;
  });
  return { promise: result, state };
}

/** Counts the append listeners a partition has, to see a fetch stop listening. */
function countListeners(partition: Partition): { readonly count: number } {
  const subscribe = partition.onAppend.bind(partition);
  const counter = { count: 0 };
  partition.onAppend = (listener) => {
    counter.count += 1;
    const unsubscribe = subscribe(listener);
    return () => {
      counter.count -= 1;
      unsubscribe();
    };
  };
  return counter;
}

describe("delayed fetch", () => {
  it("when the logs already hold min bytes, then the fetch answers at once", (t) => {
    const partitions = topicPartitions(t, 1);
    const stored = appendBatch(partitions.at(0));
    const expiry = new HandExpiry();

    const result = fetchMessages(fetchRequest([{ partition: 0, fetchOffset: 0n }]), partitions, expiry);
    assert.ok(!(result instanceof Promise));
    assert.deepEqual(recordsOf(result), [stored]);
    assert.equal(expiry.started.length, 0);
  });

  it("when the fetch may not wait or a partition answers an error, then it answers at once with too little", (t) => {
    const partitions = topicPartitions(t, 1);
    const expiry = new HandExpiry();

    const noWait = fetchMessages(
      fetchRequest([{ partition: 0, fetchOffset: 0n }], { maxWaitMs: 0 }),
      partitions,
      expiry,
    );
    assert.ok(!(noWait instanceof Promise));
    assert.deepEqual(recordsOf(noWait), [Buffer.alloc(0)]);

    const unknown = fetchMessages(
      fetchRequest([
        { partition: 0, fetchOffset: 0n },
        { partition: 7, fetchOffset: 0n },
      ]),
      partitions,
      expiry,
    );
    assert.ok(!(unknown instanceof Promise));
    assert.equal(unknown.responses[0]!.partitions[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(expiry.started.length, 0);
  });

  it("when appends bring min bytes, then the waiting fetch answers with them, stops listening and cancels its expiry", async (t) => {
    const partitions = topicPartitions(t, 2);
    const listeners = [countListeners(partitions.at(0)), countListeners(partitions.at(1))];
    const expiry = new HandExpiry();
    const batchBytes = appendBatch(partitions.at(0)).length;

    const request = fetchRequest(
      [
        { partition: 0, fetchOffset: 1n },
        { partition: 1, fetchOffset: 0n },
      ],
      { minBytes: 2 * batchBytes, maxWaitMs: 30_000 },
    );
    const fetch = observe(fetchMessages(request, partitions, expiry));
    assert.deepEqual(
      expiry.started.map((entry) => entry.delayMs),
      [30_000],
    );
    assert.deepEqual(
      listeners.map((each) => each.count),
      [1, 1],
    );

    const onFirst = appendBatch(partitions.at(0));
    await afterAppendChecks();
    assert.equal(fetch.state.answer, null, "one batch is less than min bytes");

    const onSecond = appendBatch(partitions.at(1));
    const answer = await fetch.promise;
    assert.deepEqual(recordsOf(answer), [onFirst, onSecond]);
    assert.equal(expiry.running, 0);
    assert.deepEqual(
      listeners.map((each) => each.count),
      [0, 0],
    );
  });

  it("when max wait passes before min bytes arrive, then the fetch answers with what there is", async (t) => {
    const partitions = topicPartitions(t, 1);
    const expiry = new HandExpiry();
    const listeners = countListeners(partitions.at(0));

    const fetch = observe(
      fetchMessages(fetchRequest([{ partition: 0, fetchOffset: 0n }], { minBytes: 1 << 20 }), partitions, expiry),
    );
    const stored = appendBatch(partitions.at(0));
    await afterAppendChecks();
    assert.equal(fetch.state.answer, null);

    expiry.expireAll();
    assert.deepEqual(recordsOf(await fetch.promise), [stored]);
    assert.equal(listeners.count, 0);
  });

  it("when the connection of a waiting fetch closes, then it answers at once with what it first read and lets go of its timer and its partitions", async (t) => {
    const partitions = topicPartitions(t, 1);
    const stored = appendBatch(partitions.at(0));
    const expiry = new HandExpiry();
    const listeners = countListeners(partitions.at(0));
    const onClose = new Set<() => void>();
    const whenClosed = (listener: () => void) => {
      onClose.add(listener);
      return () => onClose.delete(listener);
    };

    const fetch = observe(
      fetchMessages(
        fetchRequest([{ partition: 0, fetchOffset: 0n }], { minBytes: 1 << 20, maxWaitMs: 0x7fffffff }),
        partitions,
        expiry,
        false,
        whenClosed,
      ),
    );
    await afterAppendChecks();
    assert.equal(fetch.state.answer, null);
    assert.equal(onClose.size, 1);

    for (const listener of onClose) listener();
    assert.deepEqual(recordsOf(await fetch.promise), [stored]);
    assert.deepEqual([expiry.running, listeners.count, onClose.size], [0, 0, 0]);
  });

  it("when a fetch that would wait comes on a connection already closed, then it answers at once", async (t) => {
    const partitions = topicPartitions(t, 1);
    const expiry = new HandExpiry();
    const answer = await fetchMessages(
      fetchRequest([{ partition: 0, fetchOffset: 0n }], { minBytes: 1 << 20, maxWaitMs: 0x7fffffff }),
      partitions,
      expiry,
      false,
      (listener) => {
        listener();
        return () => {};
      },
    );
    assert.deepEqual(
      recordsOf(answer).map((records) => records.length),
      [0],
      "the empty partition as first read",
    );
    assert.equal(expiry.running, 0);
  });

  it("when a burst of appends arrives, then the waiting fetch reads the logs once for the burst", async (t) => {
    const partitions = topicPartitions(t, 1);
    const expiry = new HandExpiry();
    const fetch = observe(
      fetchMessages(fetchRequest([{ partition: 0, fetchOffset: 0n }], { minBytes: 1 << 20 }), partitions, expiry),
    );
    const lookupsBeforeBurst = partitions.lookups;

    for (let append = 0; append < 5; append += 1) appendBatch(partitions.at(0));
    await afterAppendChecks();
    assert.equal(partitions.lookups - lookupsBeforeBurst, 1, "one read of the one partition");
    assert.equal(fetch.state.answer, null);

    expiry.expireAll();
    await fetch.promise;
  });

  it("when a partition starts answering an error while the fetch waits, then the fetch answers at the next append", async (t) => {
    const partitions = topicPartitions(t, 2);
    const expiry = new HandExpiry();
    const fetch = observe(
      fetchMessages(
        fetchRequest([
          { partition: 0, fetchOffset: 0n },
          { partition: 1, fetchOffset: 0n },
        ]),
        partitions,
        expiry,
      ),
    );
    partitions.remove(1);
    appendBatch(partitions.at(1));

    const answer = await fetch.promise;
    assert.equal(answer.responses[0]!.partitions[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(expiry.running, 0);
  });

  it("when a read_committed fetch waits at the last stable offset, then the marker that ends the transaction answers it", async (t) => {
    const partitions = topicPartitions(t, 1);
    const partition = partitions.at(0);
    const inTxn = txnBatch(7n, 0);
    assert.equal(partition.replication.appendAsLeader(inTxn, 1).errorCode, ErrorCode.NONE);
    const expiry = new HandExpiry();
    const fetch = observe(
      fetchMessages(fetchRequest([{ partition: 0, fetchOffset: 0n }], { maxWaitMs: 30_000 }), partitions, expiry),
    );
    await afterAppendChecks();
    assert.equal(fetch.state.answer, null, "the transaction is not stable yet");
    partition.replication.appendTxnMarkerAsLeader({
      producerId: 7n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      commit: true,
    });
    const answered = (await fetch.promise).responses[0]!.partitions[0]!;
    assert.equal(answered.lastStableOffset, 2n);
    assert.ok(
      recordsOf({ responses: [{ partitions: [answered] }] })[0]!
        .subarray(0, inTxn.length)
        .subarray(12)
        .equals(inTxn.subarray(12)),
    );
    assert.equal(expiry.running, 0);
  });
});
