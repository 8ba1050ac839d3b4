import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import {
  type Decision,
  type InitDecision,
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  TransactionMetadata,
  type Transition,
} from "../../../../broker/server/transactions/transaction-metadata.ts";

const partitions = (entries: Record<string, number[]>) =>
  new Map(Object.entries(entries).map(([topic, ids]) => [topic, new Set(ids)]));

function transitionOf(decision: Decision | InitDecision): Transition {
  assert.ok(decision.kind === "transition" || decision.kind === "fence", `expected a transition, got ${decision.kind}`);
  return decision.transition;
}

/** A new id's metadata after its first InitProducerId is logged: producer 5, epoch 0, Empty. */
function initialised(): TransactionMetadata {
  const metadata = new TransactionMetadata("tx", {
    producerId: 5n,
    producerEpoch: NO_PRODUCER_EPOCH,
    transactionTimeoutMs: 1000,
    now: 0,
  });
  metadata.complete(transitionOf(metadata.prepareInitProducerId(1000, undefined, 1)));
  return metadata;
}

/** Ongoing with t-0 at `now` 10. */
function ongoing(): TransactionMetadata {
  const metadata = initialised();
  metadata.complete(transitionOf(metadata.prepareAddPartitions(5n, 0, partitions({ t: [0] }), 10)));
  return metadata;
}

describe("a transactional id's state machine", () => {
  it("when a new id initialises, then it gets epoch 0 in Empty, and each later InitProducerId bumps the epoch", () => {
    const metadata = initialised();
    assert.deepEqual([metadata.producerId, metadata.producerEpoch, metadata.state], [5n, 0, "Empty"]);
    metadata.complete(transitionOf(metadata.prepareInitProducerId(1000, undefined, 2)));
    assert.equal(metadata.producerEpoch, 1);
  });

  it("when a transition is pending, then every other request gets CONCURRENT_TRANSACTIONS until it completes or is abandoned", () => {
    const metadata = initialised();
    const pending = transitionOf(metadata.prepareAddPartitions(5n, 0, partitions({ t: [0] }), 10));
    assert.deepEqual(metadata.prepareAddPartitions(5n, 0, partitions({ t: [1] }), 11), {
      kind: "error",
      errorCode: ErrorCode.CONCURRENT_TRANSACTIONS,
    });
    assert.deepEqual(metadata.prepareInitProducerId(1000, undefined, 11), {
      kind: "error",
      errorCode: ErrorCode.CONCURRENT_TRANSACTIONS,
    });
    metadata.abandon(pending);
    assert.equal(metadata.state, "Empty");
    assert.equal(metadata.prepareAddPartitions(5n, 0, partitions({ t: [1] }), 12).kind, "transition");
  });

  it("when partitions are added, then the transaction is Ongoing from the first add's time, and adding held ones again writes nothing", () => {
    const metadata = ongoing();
    assert.equal(metadata.state, "Ongoing");
    assert.equal(metadata.startTimestampMs, 10);
    assert.deepEqual(metadata.prepareAddPartitions(5n, 0, partitions({ t: [0] }), 20), { kind: "done" });
    const more = transitionOf(metadata.prepareAddPartitions(5n, 0, partitions({ u: [2] }), 30));
    assert.deepEqual(more.partitions, partitions({ t: [0], u: [2] }));
    assert.equal(more.startTimestampMs, 10);
  });

  it("when a request names another producer id or epoch, then INVALID_PRODUCER_ID_MAPPING or PRODUCER_FENCED", () => {
    const metadata = ongoing();
    assert.deepEqual(metadata.prepareAddPartitions(6n, 0, partitions({ t: [1] }), 20), {
      kind: "error",
      errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    });
    assert.deepEqual(metadata.prepareEndTransaction(5n, 1, true, true, 20), {
      kind: "error",
      errorCode: ErrorCode.PRODUCER_FENCED,
    });
  });

  it("when EndTxn commits, then PrepareCommit, then CompleteCommit with no partitions; a retried commit is NONE, an abort INVALID_TXN_STATE", () => {
    const metadata = ongoing();
    metadata.complete(transitionOf(metadata.prepareEndTransaction(5n, 0, true, true, 20)));
    assert.equal(metadata.state, "PrepareCommit");
    assert.deepEqual(metadata.prepareEndTransaction(5n, 0, true, true, 21), {
      kind: "error",
      errorCode: ErrorCode.CONCURRENT_TRANSACTIONS,
    });
    assert.deepEqual(metadata.prepareEndTransaction(5n, 0, false, true, 21), {
      kind: "error",
      errorCode: ErrorCode.INVALID_TXN_STATE,
    });
    const complete = metadata.prepareComplete(22);
    assert.ok(complete);
    metadata.complete(complete);
    assert.equal(metadata.state, "CompleteCommit");
    assert.equal(metadata.partitions.size, 0);
    assert.deepEqual(metadata.prepareEndTransaction(5n, 0, true, true, 23), { kind: "done" });
    assert.deepEqual(metadata.prepareEndTransaction(5n, 0, false, true, 23), {
      kind: "error",
      errorCode: ErrorCode.INVALID_TXN_STATE,
    });
  });

  it("when EndTxn comes with no transaction open, then INVALID_TXN_STATE", () => {
    assert.deepEqual(initialised().prepareEndTransaction(5n, 0, true, true, 5), {
      kind: "error",
      errorCode: ErrorCode.INVALID_TXN_STATE,
    });
  });

  it("when InitProducerId comes during an Ongoing transaction, then it is aborted at a bumped epoch and the retry bumps again", () => {
    const metadata = ongoing();
    const fence = metadata.prepareInitProducerId(1000, undefined, 20);
    assert.equal(fence.kind, "fence");
    const abort = transitionOf(fence);
    assert.deepEqual([abort.state, abort.producerEpoch], ["PrepareAbort", 1]);
    // The old epoch is fenced at once, before the abort is even logged.
    assert.deepEqual(metadata.prepareEndTransaction(5n, 0, true, true, 21), {
      kind: "error",
      errorCode: ErrorCode.PRODUCER_FENCED,
    });
    metadata.complete(abort);
    metadata.complete(metadata.prepareComplete(22)!);
    assert.equal(metadata.state, "CompleteAbort");
    metadata.complete(transitionOf(metadata.prepareInitProducerId(1000, undefined, 23)));
    assert.deepEqual([metadata.state, metadata.producerEpoch], ["Empty", 2]);
  });

  it("when a fencing abort could not be logged, then the next fence does not bump the epoch again", () => {
    const metadata = ongoing();
    metadata.abandon(transitionOf(metadata.prepareInitProducerId(1000, undefined, 20)));
    assert.equal(metadata.hasFailedEpochFence, true);
    const again = transitionOf(metadata.prepareInitProducerId(1000, undefined, 21));
    assert.equal(again.producerEpoch, 1);
  });

  it("when InitProducerId comes while markers are being written, then CONCURRENT_TRANSACTIONS", () => {
    const metadata = ongoing();
    metadata.complete(transitionOf(metadata.prepareEndTransaction(5n, 0, false, true, 20)));
    assert.deepEqual(metadata.prepareInitProducerId(1000, undefined, 21), {
      kind: "error",
      errorCode: ErrorCode.CONCURRENT_TRANSACTIONS,
    });
  });

  it("when the epoch is exhausted, then InitProducerId asks for a new producer id and starts it at epoch 0", () => {
    const metadata = initialised();
    metadata.producerEpoch = 32766;
    assert.ok(isEpochExhausted(metadata.producerEpoch));
    assert.deepEqual(metadata.prepareInitProducerId(1000, undefined, 5), { kind: "needs-producer-id" });
    const rotated = transitionOf(metadata.prepareInitProducerId(1000, undefined, 5, 9n));
    assert.deepEqual([rotated.producerId, rotated.producerEpoch, rotated.lastProducerId], [9n, 0, 5n]);
  });

  it("when a v3+ producer names itself, then its current epoch is bumped, a retry of that bump answers the same, and a stranger is fenced", () => {
    const metadata = initialised();
    const bumped = transitionOf(metadata.prepareInitProducerId(1000, { producerId: 5n, producerEpoch: 0 }, 5));
    metadata.complete(bumped);
    assert.deepEqual([metadata.producerEpoch, metadata.lastProducerEpoch], [1, 0]);
    const retried = transitionOf(metadata.prepareInitProducerId(1000, { producerId: 5n, producerEpoch: 0 }, 6));
    assert.equal(retried.producerEpoch, 1);
    metadata.abandon(retried);
    assert.deepEqual(metadata.prepareInitProducerId(1000, { producerId: 8n, producerEpoch: 0 }, 7), {
      kind: "error",
      errorCode: ErrorCode.PRODUCER_FENCED,
    });
    assert.deepEqual(metadata.prepareInitProducerId(1000, { producerId: 5n, producerEpoch: 7 }, 7), {
      kind: "error",
      errorCode: ErrorCode.PRODUCER_FENCED,
    });
  });

  it("when an Ongoing transaction outlives its timeout, then it has expired and its abort bumps the epoch", () => {
    const metadata = ongoing();
    assert.equal(metadata.hasExpired(1010), false);
    assert.equal(metadata.hasExpired(1011), true);
    const abort = transitionOf(metadata.prepareAbortOnTimeout(1011));
    assert.deepEqual([abort.state, abort.producerEpoch], ["PrepareAbort", 1]);
  });

  it("when a state is logged and read back, then the metadata is the same", () => {
    const metadata = ongoing();
    const value = TransactionMetadata.logValue(
      transitionOf(metadata.prepareAddPartitions(5n, 0, partitions({ u: [1] }), 40)),
    );
    const read = TransactionMetadata.fromLog("tx", value);
    assert.deepEqual(
      [read.producerId, read.producerEpoch, read.state, read.startTimestampMs, read.partitions],
      [5n, 0, "Ongoing", 10, partitions({ t: [0], u: [1] })],
    );
  });
});

describe("a transactional id's expiration", () => {
  it("when an id is idle (Empty or completed) since before the expiry, then it may die; in a transaction or recently used, not", () => {
    const metadata = initialised();
    assert.equal(metadata.prepareDead(100, 0), null, "used at 1, after the expiry point 0");
    const dead = metadata.prepareDead(100, 1);
    assert.equal(dead?.state, "Dead");
    metadata.abandon(dead!);
    const busy = ongoing();
    assert.equal(busy.prepareDead(100, 50), null);
  });
});
