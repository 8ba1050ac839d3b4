import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { isControlBatch, readBatchHeader } from "../../../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { fetchRequest as raftFetchRequest } from "../../../../broker/raft/raft-messages.ts";
import { startBroker, useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest, fetchRequest, produceRequest, recordBytes } from "../../../helpers/requests.ts";
import { requestOnce, useWireClient, WireClient } from "../../../helpers/wire-client.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { routedQuorumOfOne } from "./raft-handler-fixture.ts";

/** Partition 0 of `topic` from `fetchOffset`, read committed. */
const fetchFrom = (
  topic: string,
  fetchOffset: bigint,
  { partitionMaxBytes, ...options }: Partial<FetchRequest> & { partitionMaxBytes?: number } = {},
): FetchRequest =>
  fetchRequest([{ topic, partition: 0, fetchOffset, partitionMaxBytes }], { isolationLevel: 1, ...options });

const valuesOf = (records: Buffer | null): string[] => {
  if (!records) return [];
  return splitBatches(records).batches.flatMap((b) =>
    decodeRecordBatch(records, b.position).records.map((r) => r.value!.toString()),
  );
};

describe("Fetch", () => {
  const broker = useBroker();
  const client = useWireClient(broker);
  const producer = useWireClient(broker);

  const produce = (topic: string, values: string[]) =>
    producer.request(
      Apis.Produce,
      7,
      produceRequest(
        topic,
        [
          {
            index: 0,
            records: encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) }),
          },
        ],
        { acks: 1 },
      ),
    );

  it("when fetching from the middle of a batch, then the whole containing batch comes back as stored", async () => {
    await produce("fetch-mid", ["a", "b", "c"]);
    await produce("fetch-mid", ["d"]);
    const response = await client.request(Apis.Fetch, 11, fetchFrom("fetch-mid", 1n));
    const partition = response.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.equal(partition.highWatermark, 4n);
    assert.equal(partition.lastStableOffset, 4n);
    assert.deepEqual(valuesOf(partition.records as Buffer), ["a", "b", "c", "d"]);
  });

  it("when partition max bytes is smaller than the first batch, then exactly that one batch is returned", async () => {
    await produce("fetch-small", ["first-batch"]);
    await produce("fetch-small", ["second-batch"]);
    const response = await client.request(Apis.Fetch, 11, fetchFrom("fetch-small", 0n, { partitionMaxBytes: 10 }));
    assert.deepEqual(valuesOf(response.responses[0]!.partitions[0]!.records as Buffer), ["first-batch"]);
  });

  it("when the fetch offset is past the log end, then OFFSET_OUT_OF_RANGE", async () => {
    await produce("fetch-range", ["only"]);
    const response = await client.request(Apis.Fetch, 11, fetchFrom("fetch-range", 5n));
    assert.equal(response.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it("when nothing is available, then the fetch waits and answers with the records produced meanwhile", async () => {
    await produce("fetch-wait", ["old"]);
    // The Fetch and then the Produce on one connection: the broker reads them in that order, so the
    // fetch finds nothing at offset 1 and is answered with "new" only if it waited for the Produce.
    const pending = producer.request(Apis.Fetch, 11, fetchFrom("fetch-wait", 1n, { maxWaitMs: 30000 }));
    await produce("fetch-wait", ["new"]);
    const response = await pending;
    assert.deepEqual(valuesOf(response.responses[0]!.partitions[0]!.records as Buffer), ["new"]);
  });

  it("when a client goes while its fetch waits, then the fetch stops waiting and its bytes leave queued.max.request.bytes", async () => {
    // A broker of its own whose request memory a waiting fetch fills most of: were the fetch to
    // wait out its hour, a large request on another connection would not be read meanwhile.
    const small = await startBroker({ config: { "queued.max.request.bytes": 100_000 } });
    try {
      await requestOnce(
        small.address,
        Apis.CreateTopics,
        4,
        createTopicsRequest([{ name: "fetch-gone", numPartitions: 1 }]),
      );
      const padded = (maxWaitMs: number): FetchRequest =>
        fetchFrom("fetch-gone", 0n, { maxWaitMs, minBytes: 1 << 20, rackId: "r".repeat(60_000) });
      const leaving = await WireClient.connect(small.address);
      leaving.request(Apis.Fetch, 12, padded(3_600_000)).catch(() => {}); // fails once the client closes
      await new Promise<void>((resolve) => leaving.socket.write(Buffer.alloc(0), () => resolve()));
      // A round trip on another connection after the fetch's bytes were sent: by its answer the
      // broker has read the fetch (answers on the fetch's own connection would wait behind it).
      await requestOnce(small.address, Apis.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      leaving.close();
      const response = await requestOnce(small.address, Apis.Fetch, 12, padded(0));
      assert.equal(response.errorCode, ErrorCode.NONE);
    } finally {
      await small.cleanup();
    }
  });

  it("when max wait passes with nothing new, then an empty answer comes back", async () => {
    await produce("fetch-empty", ["old"]);
    const response = await client.request(Apis.Fetch, 4, fetchFrom("fetch-empty", 1n, { maxWaitMs: 100 }));
    const partition = response.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.deepEqual(valuesOf(partition.records as Buffer | null), []);
  });
  it("when a consumer fetches at v12 (flexible), then it gets the records, and DivergingEpoch past its epoch's end", async () => {
    await produce("fetch-v12", ["a", "b"]);
    const whole = await client.request(Apis.Fetch, 12, fetchFrom("fetch-v12", 0n));
    const partition = whole.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.deepEqual(valuesOf(partition.records as Buffer), ["a", "b"]);
    const epoch = readBatchHeader(partition.records as Buffer, 0).partitionLeaderEpoch;

    const request = fetchRequest([{ topic: "fetch-v12", partition: 0, fetchOffset: 3n, lastFetchedEpoch: epoch }]);
    const diverged = (await client.request(Apis.Fetch, 12, request)).responses[0]!.partitions[0]!;
    assert.equal(diverged.errorCode, ErrorCode.NONE);
    assert.deepEqual(diverged.divergingEpoch, { epoch, endOffset: 2n });
  });
});

describe("Fetch of the metadata log", () => {
  it("when a quorum replica fetches __cluster_metadata at v12, then the Raft node answers with the log and its high watermark", async (t) => {
    const { broker, node } = await routedQuorumOfOne(t);
    await node.propose([Buffer.from("metadata")]);
    const request = raftFetchRequest({
      replicaId: 5,
      epoch: 1,
      fetchOffset: 0n,
      lastFetchedEpoch: 0,
      maxWaitMs: 0,
      maxBytes: 1 << 20,
    });
    const response = await broker.request(Apis.Fetch, 12, request);
    const partition = response?.responses[0]?.partitions[0];
    assert.equal(partition?.errorCode, ErrorCode.NONE);
    assert.equal(partition?.highWatermark, 2n);
    assert.deepEqual(partition?.currentLeader, { leaderId: 0, leaderEpoch: 1 });
    assert.deepEqual(valuesOf(partition?.records as Buffer).slice(-1), ["metadata"]);
  });
});

describe("Fetch v13 (topics by id)", () => {
  const broker = useRoutedBroker();

  it("when a topic is named by its id, then its records come back under that id; an unknown id gets UNKNOWN_TOPIC_ID", async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "by-id", numPartitions: 1 }]));
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("hello") }] });
    await broker.request(Apis.Produce, 7, produceRequest("by-id", [{ index: 0, records }]));
    const metadata = await broker.request(Apis.Metadata, 10, {
      topics: [{ name: "by-id", topicId: Buffer.alloc(16) }],
      allowAutoTopicCreation: false,
    });
    const topicId = metadata!.topics[0]!.topicId!;
    const unknownId = Buffer.alloc(16, 0xee);
    const request = fetchRequest([{ topic: "", partition: 0, fetchOffset: 0n }]);
    request.topics = [
      { ...request.topics[0]!, topicId },
      { ...request.topics[0]!, topicId: unknownId },
    ];
    const response = await broker.request(Apis.Fetch, 13, request);
    const [known, unknown] = response!.responses;
    assert.ok(known!.topicId!.equals(topicId));
    assert.deepEqual(valuesOf(recordBytes(known!.partitions[0]!.records) as Buffer), ["hello"]);
    assert.ok(unknown!.topicId!.equals(unknownId));
    assert.equal(unknown!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  });
});

describe("Fetch of transactional records (isolation levels)", () => {
  const broker = useRoutedBroker();
  /** Values of the data records in `records`, markers (control batches) left out. */
  const dataValues = (records: Buffer | null): string[] => {
    if (!records) return [];
    return splitBatches(records)
      .batches.filter((b) => !isControlBatch(b.header.attributes))
      .flatMap((b) => decodeRecordBatch(records, b.position).records.map((r) => r.value!.toString()));
  };
  const txnRecords = (producerId: bigint, baseSequence: number, values: string[]) =>
    encodeRecordBatch({
      records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
      producerId,
      producerEpoch: 0,
      baseSequence,
      transactional: true,
    });

  it("when transactions are ongoing, aborted and committed, then read_committed gets only records below the LSO with the aborted list, read_uncommitted all below the HW", async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "txn-fetch", numPartitions: 1 }]));
    const produce = (records: Buffer) =>
      broker.request(Apis.Produce, 7, produceRequest("txn-fetch", [{ index: 0, records }]));
    const partition = broker.state.topics.partition("txn-fetch", 0)!;
    const marker = (producerId: bigint, commit: boolean) =>
      partition.replication.appendTxnMarkerAsLeader({ producerId, producerEpoch: 0, coordinatorEpoch: 0, commit });
    await produce(txnRecords(1000n, 0, ["aborted-1", "aborted-2"])); // 0-1
    await produce(txnRecords(2000n, 0, ["committed"])); // 2
    assert.equal(marker(1000n, false).errorCode, ErrorCode.NONE); // 3
    assert.equal(marker(2000n, true).errorCode, ErrorCode.NONE); // 4
    await produce(txnRecords(3000n, 0, ["ongoing"])); // 5
    await produce(encodeRecordBatch({ records: [{ key: null, value: Buffer.from("plain") }] })); // 6

    const committed = await broker.request(Apis.Fetch, 11, fetchFrom("txn-fetch", 0n));
    const read = committed!.responses[0]!.partitions[0]!;
    assert.equal(read.errorCode, ErrorCode.NONE);
    assert.equal(read.highWatermark, 7n);
    assert.equal(read.lastStableOffset, 5n);
    assert.deepEqual(read.abortedTransactions, [{ producerId: 1000n, firstOffset: 0n }]);
    assert.deepEqual(dataValues(recordBytes(read.records) as Buffer), ["aborted-1", "aborted-2", "committed"]);

    const uncommitted = await broker.request(Apis.Fetch, 11, fetchFrom("txn-fetch", 0n, { isolationLevel: 0 }));
    const all = uncommitted!.responses[0]!.partitions[0]!;
    assert.equal(all.lastStableOffset, 5n);
    assert.deepEqual(all.abortedTransactions, []);
    assert.deepEqual(dataValues(recordBytes(all.records) as Buffer), [
      "aborted-1",
      "aborted-2",
      "committed",
      "ongoing",
      "plain",
    ]);

    // Fetch v4, the first with isolation levels, answers the same.
    const v4 = (await broker.request(Apis.Fetch, 4, fetchFrom("txn-fetch", 0n)))!.responses[0]!.partitions[0]!;
    assert.equal(v4.lastStableOffset, 5n);
    assert.deepEqual(v4.abortedTransactions, [{ producerId: 1000n, firstOffset: 0n }]);

    // From past the abort's marker, no aborted transaction concerns the reader.
    const later = await broker.request(Apis.Fetch, 11, fetchFrom("txn-fetch", 4n));
    assert.deepEqual(later!.responses[0]!.partitions[0]!.abortedTransactions, []);
  });

  it("when a read_committed fetch waits at the LSO, then the marker that ends the transaction wakes it", async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "txn-wait", numPartitions: 1 }]));
    await broker.request(
      Apis.Produce,
      7,
      produceRequest("txn-wait", [{ index: 0, records: txnRecords(4000n, 0, ["x"]) }]),
    );
    const waiting = broker.request(Apis.Fetch, 11, fetchFrom("txn-wait", 0n, { maxWaitMs: 60_000 }));
    const partition = broker.state.topics.partition("txn-wait", 0)!;
    partition.replication.appendTxnMarkerAsLeader({
      producerId: 4000n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      commit: true,
    });
    const read = (await waiting)!.responses[0]!.partitions[0]!;
    assert.equal(read.lastStableOffset, 2n);
    assert.deepEqual(dataValues(recordBytes(read.records) as Buffer), ["x"]);
  });
});
