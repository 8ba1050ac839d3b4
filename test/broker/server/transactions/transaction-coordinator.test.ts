import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { OffsetsAppendError } from "../../../../broker/server/groups/group-metadata-manager.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { TransactionCoordinator } from "../../../../broker/server/transactions/transaction-coordinator.ts";
import type { TransactionLogValue } from "../../../../broker/server/transactions/transaction-log-format.ts";
import type { TopicPartitionSet } from "../../../../broker/server/transactions/transaction-metadata.ts";
import type { TxnMarker } from "../../../../broker/server/transactions/txn-marker-channel.ts";
import { waitFor } from "../../../helpers/wait.ts";
import {
  addPartitions,
  createTopic,
  endTransaction,
  markersIn,
  produceTransactional,
  useTransactionalBroker,
} from "./transaction-fixture.ts";

const partitions = (entries: Record<string, number[]>): TopicPartitionSet =>
  new Map(Object.entries(entries).map(([topic, ids]) => [topic, new Set(ids)]));

/** A coordinator over one in-memory `__transaction_state` partition, markers recorded, a settable clock. */
function coordinatorWith(options: { records?: { transactionalId: string; value: TransactionLogValue | null }[] } = {}) {
  const logged: { transactionalId: string; value: TransactionLogValue | null }[] = [...(options.records ?? [])];
  const sent: { marker: TxnMarker; partitions: TopicPartitionSet }[] = [];
  let failAppends: number | null = null;
  let clock = 1_000;
  let nextProducerId = 100n;
  let markersHeld: Promise<void> = Promise.resolve();
  const coordinator = new TransactionCoordinator({
    stateLog: {
      async append(_partition, transactionalId, value) {
        if (failAppends !== null) throw new OffsetsAppendError(failAppends, "refused");
        logged.push({ transactionalId, value });
      },
      read: () => [...logged],
      awaitLoadable: async () => true,
    },
    numPartitions: 1,
    maxTransactionTimeoutMs: 900_000,
    transactionalIdExpirationMs: 10_000,
    producerIds: { next: async () => nextProducerId++ },
    markers: {
      async send(marker, partitionSet) {
        sent.push({ marker, partitions: partitionSet });
        await markersHeld;
        return "written";
      },
    },
    now: () => clock,
    retryBackoffMs: 1,
    log: silentLogger,
  });
  return {
    coordinator,
    logged,
    sent,
    states: (transactionalId: string) =>
      logged.filter((r) => r.transactionalId === transactionalId).map((r) => r.value?.state ?? "tombstone"),
    failAppendsWith: (errorCode: number | null) => {
      failAppends = errorCode;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    holdMarkers: () => {
      let release = (): void => {};
      markersHeld = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
    async start(leaderEpoch = 3) {
      coordinator.onElection(0, leaderEpoch);
      await coordinator.startup();
    },
  };
}

describe("the transaction coordinator", () => {
  it("when it does not lead the id's partition, then NOT_COORDINATOR; before startup, COORDINATOR_LOAD_IN_PROGRESS", async () => {
    const { coordinator } = coordinatorWith();
    assert.equal((await coordinator.initProducerId("tx", 1000)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await coordinator.startup();
    assert.equal((await coordinator.initProducerId("tx", 1000)).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(await coordinator.endTransaction("tx", 1n, 0, true), ErrorCode.NOT_COORDINATOR);
  });

  it("when a transaction commits, then Empty, Ongoing and PrepareCommit are logged before their answers, the markers carry the coordinator epoch, then CompleteCommit", async () => {
    const fixture = coordinatorWith();
    await fixture.start(3);
    const { coordinator } = fixture;
    const init = await coordinator.initProducerId("tx", 1000);
    assert.deepEqual(init, { errorCode: ErrorCode.NONE, producerId: 100n, producerEpoch: 0 });
    assert.equal(await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0, 1] })), ErrorCode.NONE);
    assert.equal(await coordinator.endTransaction("tx", 100n, 0, true), ErrorCode.NONE);
    await waitFor(() => coordinator.describe("tx")?.state === "CompleteCommit");
    assert.deepEqual(fixture.states("tx"), ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit"]);
    assert.deepEqual(fixture.sent, [
      {
        marker: { producerId: 100n, producerEpoch: 0, coordinatorEpoch: 3, commit: true },
        partitions: partitions({ t: [0, 1] }),
      },
    ]);
  });

  it("when EndTxn comes again while the markers are being written, then CONCURRENT_TRANSACTIONS", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    const { coordinator } = fixture;
    await coordinator.initProducerId("tx", 1000);
    await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] }));
    const release = fixture.holdMarkers();
    assert.equal(await coordinator.endTransaction("tx", 100n, 0, false), ErrorCode.NONE);
    assert.equal(await coordinator.endTransaction("tx", 100n, 0, false), ErrorCode.CONCURRENT_TRANSACTIONS);
    release();
    await waitFor(() => coordinator.describe("tx")?.state === "CompleteAbort");
    assert.equal(await coordinator.endTransaction("tx", 100n, 0, false), ErrorCode.NONE);
  });

  it("when the log refuses a transition, then the answer is Kafka's mapping of the error and the state does not change", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    const { coordinator } = fixture;
    await coordinator.initProducerId("tx", 1000);
    fixture.failAppendsWith(ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal(
      await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] })),
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
    fixture.failAppendsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] })), ErrorCode.NOT_COORDINATOR);
    assert.equal(coordinator.describe("tx")?.state, "Empty");
    fixture.failAppendsWith(null);
    assert.equal(await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] })), ErrorCode.NONE);
  });

  it("when an Ongoing transaction outlives its timeout, then it is aborted at a bumped epoch that fences the producer", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    const { coordinator } = fixture;
    await coordinator.initProducerId("tx", 1000);
    await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] }));
    assert.equal(await coordinator.abortTimedOutTransactions(), 0);
    fixture.advance(1001);
    assert.equal(await coordinator.abortTimedOutTransactions(), 1);
    await waitFor(() => coordinator.describe("tx")?.state === "CompleteAbort");
    assert.deepEqual(
      fixture.sent.map((s) => [s.marker.producerEpoch, s.marker.commit]),
      [[1, false]],
    );
    assert.equal(await coordinator.addPartitions("tx", 100n, 0, partitions({ t: [0] })), ErrorCode.PRODUCER_FENCED);
  });

  it("when a partition is loaded with a transaction in PrepareCommit, then its markers are sent again and it completes; an Ongoing one stays", async () => {
    const value = (state: TransactionLogValue["state"], producerId: bigint): TransactionLogValue => ({
      producerId,
      producerEpoch: 4,
      transactionTimeoutMs: 60_000,
      state,
      partitions: [{ topic: "t", partitions: [2] }],
      lastUpdateTimestampMs: 900n,
      startTimestampMs: 800n,
    });
    const fixture = coordinatorWith({
      records: [
        { transactionalId: "preparing", value: value("Ongoing", 7n) },
        { transactionalId: "preparing", value: value("PrepareCommit", 7n) },
        { transactionalId: "open", value: value("Ongoing", 8n) },
      ],
    });
    await fixture.start(5);
    const { coordinator } = fixture;
    await waitFor(() => coordinator.describe("preparing")?.state === "CompleteCommit");
    assert.deepEqual(
      fixture.sent.map((s) => s.marker),
      [{ producerId: 7n, producerEpoch: 4, coordinatorEpoch: 5, commit: true }],
    );
    assert.equal(coordinator.describe("open")?.state, "Ongoing");
    assert.equal(coordinator.describe("open")?.producerId, 8n);
  });

  it("when the partition is resigned, then its ids are forgotten and their requests get NOT_COORDINATOR", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    const { coordinator } = fixture;
    await coordinator.initProducerId("tx", 1000);
    coordinator.onResignation(0, 4);
    await waitFor(() => coordinator.describe("tx") === undefined);
    assert.equal(await coordinator.endTransaction("tx", 100n, 0, true), ErrorCode.NOT_COORDINATOR);
  });

  it("when an id stays idle for transactional.id.expiration.ms, then a tombstone forgets it and its next InitProducerId gets a new producer id", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    const { coordinator } = fixture;
    await coordinator.initProducerId("idle", 1000);
    await coordinator.initProducerId("busy", 1000);
    await coordinator.addPartitions("busy", 101n, 0, partitions({ t: [0] }));
    fixture.advance(9_999);
    assert.equal(await coordinator.removeExpiredTransactionalIds(), 0);
    fixture.advance(2);
    assert.equal(await coordinator.removeExpiredTransactionalIds(), 1, "an Ongoing transaction's id stays");
    assert.deepEqual(fixture.states("idle"), ["Empty", "tombstone"]);
    assert.equal(coordinator.describe("idle"), undefined);
    assert.equal(coordinator.describe("busy")?.state, "Ongoing");
    assert.deepEqual(await coordinator.initProducerId("idle", 1000), {
      errorCode: ErrorCode.NONE,
      producerId: 102n,
      producerEpoch: 0,
    });
  });

  it("when a partition is loaded with a tombstone as an id's last record, then the id is not there", async () => {
    const fixture = coordinatorWith({
      records: [
        {
          transactionalId: "gone",
          value: {
            producerId: 1n,
            producerEpoch: 0,
            transactionTimeoutMs: 1000,
            state: "Empty",
            partitions: [],
            lastUpdateTimestampMs: 0n,
            startTimestampMs: -1n,
          },
        },
        { transactionalId: "gone", value: null },
      ],
    });
    await fixture.start();
    assert.equal(fixture.coordinator.describe("gone"), undefined);
  });

  it("when the transactional id is empty, then INVALID_REQUEST", async () => {
    const fixture = coordinatorWith();
    await fixture.start();
    assert.equal((await fixture.coordinator.initProducerId("", 1000)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(await fixture.coordinator.addPartitions("", 1n, 0, partitions({ t: [0] })), ErrorCode.INVALID_REQUEST);
  });
});

describe("the transaction coordinator of a broker, aborting transactions that time out", () => {
  const broker = useTransactionalBroker({ "transaction.abort.timed.out.transaction.cleanup.interval.ms": "50" });

  it("when a transaction outlives its timeout, then the broker aborts it with an ABORT marker and the producer is fenced", async () => {
    await createTopic(broker, "timeout-t");
    const response = await broker.request(Apis.InitProducerId, 1, {
      transactionalId: "timeout-tx",
      transactionTimeoutMs: 100,
      producerId: -1n,
      producerEpoch: -1,
    });
    const producer = { producerId: response!.producerId!, producerEpoch: response!.producerEpoch };
    assert.deepEqual(await addPartitions(broker, "timeout-tx", producer, "timeout-t", [0]), [ErrorCode.NONE]);
    assert.equal(await produceTransactional(broker, "timeout-t", 0, producer, 0, ["late"]), ErrorCode.NONE);
    await waitFor(() => broker.state.transactions.describe("timeout-tx")?.state === "CompleteAbort", {
      message: "the timed-out transaction aborted",
    });
    assert.deepEqual(markersIn(broker, "timeout-t", 0), [{ producerId: producer.producerId, commit: false }]);
    assert.equal(await endTransaction(broker, "timeout-tx", producer, true, 2), ErrorCode.PRODUCER_FENCED);
    assert.equal(
      await produceTransactional(broker, "timeout-t", 0, producer, 1, ["later"]),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });
});
