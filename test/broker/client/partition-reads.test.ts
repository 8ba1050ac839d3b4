// One-shot partition reads (Fetch at an offset, ListOffsets at a timestamp) and the leader retry
// they share, against a real broker process.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Cluster } from "../../../broker/client/cluster.ts";
import { KafkaJSProtocolError } from "../../../broker/client/errors.ts";
import { producerEvents } from "../../../broker/client/events.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { InstrumentationEmitter } from "../../../broker/client/instrumentation.ts";
import {
  EARLIEST_TIMESTAMP,
  fetchPartitionBytes,
  fetchPartitionOnce,
  LATEST_TIMESTAMP,
  listPartitionOffset,
  onPartitionLeader,
  READ_COMMITTED,
  READ_UNCOMMITTED,
} from "../../../broker/client/partition-reads.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { decodeRecordBatch } from "../../../broker/protocol/record-batch/decoder.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { range } from "../../helpers/wait.ts";
import { ourCluster, rejectionOf, silentLogger } from "./helpers.ts";

const TOPIC = "reads";
const ONCE = { retries: 0 };
/** Record timestamps on partition 1 (CreateTime, ms). */
const STAMPS = [1_000_000, 2_000_000, 3_000_000];

describe("partition reads", () => {
  const broker = useBroker();
  let cluster: Cluster;
  const extraClusters: Cluster[] = [];
  before(async () => {
    const kafka = new Kafka({
      clientId: "partition-reads-test",
      brokers: [broker.address],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Three sends: three record batches of ten on partition 0.
    for (const chunk of range(3))
      await producer.send({
        topic: TOPIC,
        messages: range(10).map((i) => ({ partition: 0, key: `k${chunk}`, value: `v${chunk * 10 + i}` })),
      });
    await producer.send({
      topic: TOPIC,
      messages: STAMPS.map((timestamp, i) => ({ partition: 1, value: `t${i}`, timestamp: String(timestamp) })),
    });
    await producer.disconnect();
    cluster = ourCluster(broker.address, { clientId: "partition-reads-test", allowAutoTopicCreation: false });
  });
  after(() => {
    for (const made of [cluster, ...extraClusters]) made?.disconnect();
  });

  it("when a partition is fetched at an offset inside a batch, then its records from that offset come, with the next offset and the end", async () => {
    const { messages, nextOffset, end } = await fetchPartitionOnce(
      cluster,
      { topic: TOPIC, partition: 0, offset: 13n, maxBytes: 1024 * 1024, isolationLevel: READ_COMMITTED },
      ONCE,
    );
    assert.deepEqual(
      messages.map((m) => [m.offset, m.value?.toString()]),
      range(17).map((i) => [String(i + 13), `v${i + 13}`]),
    );
    assert.equal(nextOffset, 30n);
    assert.equal(end, 30n);
  });

  it("when the fetch is bounded to a few bytes, then one whole batch comes and the next offset is after it", async () => {
    const { messages, nextOffset, end } = await fetchPartitionOnce(
      cluster,
      { topic: TOPIC, partition: 0, offset: 10n, maxBytes: 1, isolationLevel: READ_COMMITTED },
      ONCE,
    );
    assert.deepEqual(
      messages.map((m) => m.offset),
      range(10).map((i) => String(i + 10)),
    );
    assert.equal(nextOffset, 20n);
    assert.equal(end, 30n);
  });

  it("when a partition is fetched at its end, then no records come and the end is that offset", async () => {
    const fetched = await fetchPartitionOnce(
      cluster,
      { topic: TOPIC, partition: 0, offset: 30n, maxBytes: 1024, isolationLevel: READ_COMMITTED },
      ONCE,
    );
    assert.deepEqual(fetched, { messages: [], nextOffset: null, end: 30n });
  });

  it("when a partition is fetched past its end, then the broker's OFFSET_OUT_OF_RANGE is thrown", async () => {
    const error = await rejectionOf(
      fetchPartitionOnce(
        cluster,
        { topic: TOPIC, partition: 0, offset: 31n, maxBytes: 1024, isolationLevel: READ_COMMITTED },
        { retries: 2 },
      ),
    );
    assert.ok(error instanceof KafkaJSProtocolError, String(error));
    assert.equal(error.code, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.match(error.message, /reads-0 at 31/);
  });

  it("when the raw bytes are fetched read-uncommitted, then they are the stored batch holding the offset, whole", async () => {
    const fetched = await fetchPartitionBytes(
      cluster,
      { topic: TOPIC, partition: 0, offset: 15n, maxBytes: 1, isolationLevel: READ_UNCOMMITTED },
      ONCE,
    );
    assert.ok(fetched);
    assert.equal(fetched.highWatermark, 30n);
    assert.equal(fetched.end, 30n);
    const { header, records } = decodeRecordBatch(fetched.records, 0);
    assert.equal(header.baseOffset, 10n);
    assert.equal(header.recordCount, 10);
    assert.deepEqual(
      records.map((r) => r.key?.toString()),
      range(10).map(() => "k1"),
    );
  });

  it("when offsets are listed for the earliest and latest timestamps, then they are the log's start and end", async () => {
    const offsets = await Promise.all(
      [0, 1].flatMap((partition) =>
        [EARLIEST_TIMESTAMP, LATEST_TIMESTAMP].map((timestamp) =>
          listPartitionOffset(cluster, TOPIC, partition, timestamp, ONCE),
        ),
      ),
    );
    assert.deepEqual(offsets, [0n, 30n, 0n, 3n]);
  });

  it("when an offset is listed for a timestamp, then it is the first record's at or after it, or -1 when none is that recent", async () => {
    const [between, exact, later] = await Promise.all(
      [1_500_000n, 3_000_000n, 3_000_001n].map((timestamp) => listPartitionOffset(cluster, TOPIC, 1, timestamp, ONCE)),
    );
    assert.equal(between, 1n);
    assert.equal(exact, 2n);
    assert.equal(later, -1n);
  });

  it("when the leader answers a stale-metadata error, then the request is asked again with fresh metadata, retries + 1 times in all", async () => {
    const watched = ourCluster(broker.address, { clientId: "partition-reads-test", allowAutoTopicCreation: false });
    extraClusters.push(watched);
    await watched.addTargetTopics([TOPIC]);
    const metadataRequests: string[] = [];
    const emitter = new InstrumentationEmitter(producerEvents, "producer", silentLogger);
    emitter.on(producerEvents.REQUEST, (event) => {
      if (event.payload.apiName === "Metadata") metadataRequests.push(event.payload.apiName);
    });
    watched.instrument(emitter.network);
    let calls = 0;
    const error = await rejectionOf(
      onPartitionLeader(
        watched,
        TOPIC,
        0,
        async () => {
          calls++;
          throw new KafkaJSProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        },
        { retries: 3 },
      ),
    );
    assert.equal(error.code, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(calls, 4);
    assert.equal(metadataRequests.length, 3, "one refresh before each retry");
  });

  it("when a stale leader recovers within the retries, then its answer is returned", async () => {
    let calls = 0;
    const answer = await onPartitionLeader(
      cluster,
      TOPIC,
      1,
      async (connection) => {
        calls++;
        if (calls < 3) throw new KafkaJSProtocolError(ErrorCode.LEADER_NOT_AVAILABLE);
        return connection.port;
      },
      { retries: 2 },
    );
    assert.equal(answer, broker.port);
    assert.equal(calls, 3);
  });

  it("when the leader answers an error that is not about metadata, then it is thrown at once", async () => {
    let calls = 0;
    const error = await rejectionOf(
      onPartitionLeader(
        cluster,
        TOPIC,
        0,
        async () => {
          calls++;
          throw new KafkaJSProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE);
        },
        { retries: 4 },
      ),
    );
    assert.equal(error.code, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(calls, 1);
  });
});
