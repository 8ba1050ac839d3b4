// The broker in-process, on a real socket and real files: what start and stop do, and the
// periodic log work (retention, compaction) that runs without any request.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { CreateTopicsRequestCreatableTopicConfig } from "../../../broker/protocol/messages/index.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { Broker } from "../../../broker/server/broker.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { createTopicsRequest, produceRequest } from "../../helpers/requests.ts";
import { waitFor } from "../../helpers/wait.ts";
import { WireClient } from "../../helpers/wire-client.ts";
import { readPartition } from "../client/producer/helpers.ts";
import { offsetCommitRequest } from "./handlers/group-requests.ts";

interface Running {
  broker: Broker;
  address: string;
  port: number;
}

/** Brokers a test started and has not stopped: stopped before their data dirs are removed. */
const running = new WeakMap<TestContext, Set<Broker>>();

function dataDirFor(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "broker-test-"));
  t.after(async () => {
    for (const broker of running.get(t) ?? []) await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function start(t: TestContext, dataDir: string, props: Record<string, string> = {}): Promise<Running> {
  const broker = new Broker(
    { host: "127.0.0.1", port: 0, nodeId: 0, dataDir, props: new Map(Object.entries(props)) },
    silentLogger,
  );
  const { host, port } = await broker.start();
  const started = running.get(t) ?? new Set<Broker>();
  running.set(t, started);
  started.add(broker);
  const stop = broker.stop.bind(broker);
  broker.stop = () => {
    started.delete(broker);
    return stop();
  };
  return { broker, address: `${host}:${port}`, port };
}

async function clientOf(t: TestContext, running: Running): Promise<WireClient> {
  const client = await WireClient.connect(running.address);
  t.after(() => client.close());
  return client;
}

const createTopic = (client: WireClient, name: string, configs: CreateTopicsRequestCreatableTopicConfig[] = []) =>
  client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name, numPartitions: 1, configs }]));

const produce = (client: WireClient, topic: string, records: Array<{ key?: string; value: string }>) =>
  client.request(
    Apis.Produce,
    7,
    produceRequest(topic, [
      {
        index: 0,
        records: encodeRecordBatch({
          records: records.map((r) => ({
            key: r.key === undefined ? null : Buffer.from(r.key),
            value: Buffer.from(r.value),
            timestamp: 1_000n,
          })),
        }),
      },
    ]),
  );

const earliest = async (client: WireClient, topic: string) =>
  (
    await client.request(Apis.ListOffsets, 3, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }],
    })
  ).topics[0]!.partitions[0]!.offset;

/** Every value stored in partition 0, in offset order. */
const storedValues = async (running: Running, topic: string): Promise<string[]> =>
  (await readPartition(running.address, topic, 0)).map((record) => record.value!.toString());

describe("Broker", () => {
  it("when started on port 0, then it serves on the port it bound and advertises that port, with __consumer_offsets of offsets.topic.num.partitions", async (t) => {
    const running = await start(t, dataDirFor(t), { "offsets.topic.num.partitions": "4" });
    assert.ok(running.port > 0);
    const client = await clientOf(t, running);
    const metadata = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    assert.deepEqual(
      metadata.brokers.map((b) => [b.host, b.port]),
      [["127.0.0.1", running.port]],
    );
    const offsetsTopic = metadata.topics.find((topic) => topic.name === "__consumer_offsets");
    assert.equal(offsetsTopic?.isInternal, true);
    assert.equal(offsetsTopic?.partitions.length, 4);
  });

  it("when stopped, then open connections are closed and the port takes no more", async (t) => {
    const running = await start(t, dataDirFor(t));
    const client = await clientOf(t, running);
    await running.broker.stop();
    await client.closed;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(running.port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    assert.equal(refused, true);
  });

  it("when started again on the same data directory, then topics, records and committed offsets are back", async (t) => {
    const dataDir = dataDirFor(t);
    const first = await start(t, dataDir, { "offsets.topic.num.partitions": "2" });
    const client = await clientOf(t, first);
    await createTopic(client, "durable");
    await produce(client, "durable", [{ value: "one" }, { value: "two" }]);
    const committed = await client.request(Apis.OffsetCommit, 7, offsetCommitRequest("reader", { durable: [[0, 1n]] }));
    assert.equal(committed.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
    await first.broker.stop();

    const second = await start(t, dataDir, { "offsets.topic.num.partitions": "2" });
    const again = await clientOf(t, second);
    assert.deepEqual(await storedValues(second, "durable"), ["one", "two"]);
    const fetched = await again.request(Apis.OffsetFetch, 5, {
      groupId: "reader",
      topics: [{ name: "durable", partitionIndexes: [0] }],
    });
    assert.equal(fetched.topics[0]?.partitions[0]?.committedOffset, 1n);
  });

  it("when retention is due, then old segments are deleted by the periodic check, with no request asking", async (t) => {
    const running = await start(t, dataDirFor(t), { "log.retention.check.interval.ms": "20" });
    const client = await clientOf(t, running);
    // Tiny segments, and records stamped long ago: every sealed segment is past retention.ms.
    await createTopic(client, "expiring", [
      { name: "segment.bytes", value: "200" },
      { name: "retention.ms", value: "60000" },
    ]);
    for (let i = 0; i < 5; i++) await produce(client, "expiring", [{ value: `record ${i} `.padEnd(150, ".") }]);
    await waitFor(async () => (await earliest(client, "expiring")) === 4n, {
      message: "the four sealed segments deleted by retention",
    });
  });

  it("when a compacted topic has overwritten keys, then the periodic cleaner keeps only the latest value of each", async (t) => {
    const running = await start(t, dataDirFor(t), { "log.cleaner.backoff.ms": "20" });
    const client = await clientOf(t, running);
    await createTopic(client, "latest-only", [
      { name: "cleanup.policy", value: "compact" },
      { name: "segment.bytes", value: "200" },
    ]);
    for (let i = 0; i < 8; i++) await produce(client, "latest-only", [{ key: `k${i % 2}`, value: `v${i}` }]);
    // Only sealed segments are cleaned: the oldest values go, the latest of each key stays.
    let values: string[] = [];
    await waitFor(
      async () => {
        values = await storedValues(running, "latest-only");
        return !values.includes("v0") && !values.includes("v1");
      },
      { message: () => `v0 and v1 overwritten and cleaned away; stored: ${values.join()}` },
    );
    assert.deepEqual(values.slice(-2), ["v6", "v7"]);
  });
});
