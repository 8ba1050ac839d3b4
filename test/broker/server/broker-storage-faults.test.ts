// A broker whose disk fails under one partition, over the wire: the broker runs in-process on a
// file system that fails the fsyncs of that partition's log with EIO, and serves real clients (our
// wire client for exact error codes, kafkajs as an application would) on loopback TCP. That
// partition goes offline — Produce, Fetch and ListOffsets answer KAFKA_STORAGE_ERROR (56), the
// connection stays up, one error line names the partition and the cause — while the other
// partition on the same broker keeps accepting and serving; a restart on a healthy disk brings
// the partition back with everything acknowledged.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { Broker } from "../../../broker/server/broker.ts";
import type { Logger } from "../../../broker/server/logger.ts";
import type { FileSystem } from "../../../broker/storage/file-system.ts";
import { createTopicsRequest, fetchRequest, produceRequest, recordBytes } from "../../helpers/requests.ts";
import { waitFor } from "../../helpers/wait.ts";
import { WireClient } from "../../helpers/wire-client.ts";
import { cleanupAll, kafkajsClient } from "../client/helpers.ts";
import { FaultyFileSystem, ioError } from "../storage/faulty-file-system.ts";

const TOPIC = "orders";

interface Logged {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function capturingLogger(): { logger: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

/** A data directory removed when the test ends, after the brokers started on it are stopped. */
function dataDirFor(t: TestContext): { dataDir: string; started: Set<Broker> } {
  const dataDir = mkdtempSync(join(tmpdir(), "broker-storage-faults-"));
  const started = new Set<Broker>();
  t.after(async () => {
    for (const broker of started) await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { dataDir, started };
}

async function startBroker(
  where: { dataDir: string; started: Set<Broker> },
  fs: FileSystem,
  logger: Logger,
  props: Record<string, string> = {},
): Promise<Broker> {
  const config = {
    host: "127.0.0.1",
    port: 0,
    nodeId: 0,
    dataDir: where.dataDir,
    props: new Map(Object.entries(props)),
  };
  const broker = new Broker(config, logger, fs);
  await broker.start();
  where.started.add(broker);
  return broker;
}

async function stopBroker(where: { started: Set<Broker> }, broker: Broker): Promise<void> {
  where.started.delete(broker);
  await broker.stop();
}

async function connect(t: TestContext, broker: Broker): Promise<WireClient> {
  const { host, port } = broker.listeners[0]!;
  const client = await WireClient.connect(`${host}:${port}`);
  t.after(() => client.close());
  return client;
}

const batch = (value: string): Buffer =>
  encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: 1_000n }] });

/** Produces one record to each listed partition; the error code of each, in order. */
async function produce(client: WireClient, partitions: number[], value: string): Promise<number[]> {
  const response = await client.request(
    Apis.Produce,
    7,
    produceRequest(
      TOPIC,
      partitions.map((index) => ({ index, records: batch(`${value}-${index}`) })),
    ),
  );
  return response.responses[0]!.partitionResponses.map((p) => p.errorCode);
}

async function fetchFromStart(client: WireClient, partitions: number[]) {
  const response = await client.request(
    Apis.Fetch,
    11,
    fetchRequest(partitions.map((partition) => ({ topic: TOPIC, partition, fetchOffset: 0n }))),
  );
  return response.responses[0]!.partitions;
}

/**
 * A broker on a file system that fails every fsync under partition 0 of `orders` (flush.messages=1,
 * two partitions) once `failPartitionZero` is called, with a client connected and its log lines kept.
 */
async function brokerOnFailingDisk(
  t: TestContext,
  props: Record<string, string> = {},
  configs: Record<string, string> = {},
) {
  const where = dataDirFor(t);
  const faulty = new FaultyFileSystem();
  const { logger, lines } = capturingLogger();
  const broker = await startBroker(where, faulty, logger, props);
  const client = await connect(t, broker);
  const topicConfigs = Object.entries({ "flush.messages": "1", ...configs }).map(([name, value]) => ({ name, value }));
  const created = await client.request(
    Apis.CreateTopics,
    4,
    createTopicsRequest([{ name: TOPIC, numPartitions: 2, configs: topicConfigs }]),
  );
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  const failPartitionZero = (): void =>
    faulty.fail("sync", {
      path: `${join(where.dataDir, `${TOPIC}-0`)}/`,
      times: Number.POSITIVE_INFINITY,
      error: (path) => ioError("EIO", "fsync", path),
    });
  const errorLines = () => lines.filter((line) => line.level === "error");
  return { where, broker, client, failPartitionZero, errorLines };
}

describe("a broker whose disk fails under one partition", () => {
  it("when fsync of one partition's log fails with EIO, then it answers KAFKA_STORAGE_ERROR while the other partition serves on, and a restart brings it back", async (t) => {
    const { where, broker, client, failPartitionZero, errorLines } = await brokerOnFailingDisk(t);
    assert.deepEqual(await produce(client, [0, 1], "before"), [ErrorCode.NONE, ErrorCode.NONE]);

    failPartitionZero();
    assert.deepEqual(await produce(client, [0, 1], "during"), [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE]);
    assert.deepEqual(await produce(client, [0, 1], "after"), [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE]);

    const fetched = await fetchFromStart(client, [0, 1]);
    assert.equal(fetched[0]!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(fetched[1]!.errorCode, ErrorCode.NONE);
    assert.equal(fetched[1]!.highWatermark, 3n);
    assert.ok(recordBytes(fetched[1]!.records).includes("after-1"));
    const listed = await client.request(Apis.ListOffsets, 3, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: TOPIC, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
    });
    assert.deepEqual(
      listed.topics[0]!.partitions.map((p) => [p.errorCode, p.offset]),
      [
        [ErrorCode.KAFKA_STORAGE_ERROR, -1n],
        [ErrorCode.NONE, 3n],
      ],
    );
    assert.equal(client.isClosed, false, "a storage error is an answer, not a dropped connection");

    // An application's client: the healthy partition takes its records, the offline one refuses.
    const kafka = kafkajsClient(`${broker.listeners[0]!.host}:${broker.listeners[0]!.port}`, "storage-faults");
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    t.after(() => cleanupAll(() => producer.disconnect()));
    const [sent] = await producer.send({ topic: TOPIC, messages: [{ value: "from kafkajs", partition: 1 }] });
    assert.equal(sent!.errorCode, ErrorCode.NONE);
    await assert.rejects(
      producer.send({ topic: TOPIC, messages: [{ value: "lost disk", partition: 0 }] }),
      (error: Error) =>
        /KAFKA_STORAGE_ERROR|disk error/i.test(`${error.message} ${(error as { type?: string }).type ?? ""}`),
    );

    const errors = errorLines();
    assert.equal(errors.length, 1, `one error line: ${JSON.stringify(errors)}`);
    assert.match(errors[0]!.message, /partition log offline/);
    assert.equal(errors[0]!.fields.topic, TOPIC);
    assert.equal(errors[0]!.fields.partition, 0);
    assert.match(String(errors[0]!.fields.error), /^EIO: i\/o error, fsync '.*orders-0\/00000000000000000000\.log'$/);

    await producer.disconnect();
    client.close();
    await stopBroker(where, broker);
    const restarted = await startBroker(where, new FaultyFileSystem(), capturingLogger().logger);
    const again = await connect(t, restarted);
    assert.deepEqual(await produce(again, [0, 1], "restarted"), [ErrorCode.NONE, ErrorCode.NONE]);
    const refetched = await fetchFromStart(again, [0]);
    assert.equal(refetched[0]!.errorCode, ErrorCode.NONE);
    const stored = recordBytes(refetched[0]!.records);
    for (const value of ["before-0", "restarted-0"]) assert.ok(stored.includes(value), `${value} is in partition 0`);
  });
  it("when one partition's log is offline, then the periodic log work goes on for the others and says nothing more about it", async (t) => {
    // Tiny segments of records stamped long ago: every sealed segment is past retention at once.
    const { client, failPartitionZero, errorLines } = await brokerOnFailingDisk(
      t,
      { "log.retention.check.interval.ms": "20" },
      { "segment.bytes": "200", "retention.ms": "60000" },
    );
    failPartitionZero();
    assert.deepEqual(await produce(client, [0], "lost"), [ErrorCode.KAFKA_STORAGE_ERROR]);
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await produce(client, [1], `kept ${i} `.padEnd(150, ".")), [ErrorCode.NONE]);
    const earliest = async (): Promise<bigint> => {
      const listed = await client.request(Apis.ListOffsets, 3, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, timestamp: -2n }] }],
      });
      return listed.topics[0]!.partitions[0]!.offset ?? -1n;
    };
    await waitFor(async () => (await earliest()) === 4n, {
      timeoutMs: 10_000,
      message: "retention deletes partition 1's four sealed segments although partition 0 is offline",
    });
    assert.equal(errorLines().length, 1, JSON.stringify(errorLines()));
  });
});
