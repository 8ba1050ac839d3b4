import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSServerDoesNotSupportApiKey,
} from "../../../../broker/client/errors.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";
import {
  BrokerConnection,
  type NetworkEventKind,
  type NetworkInstrumentation,
} from "../../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { fetchRequest } from "../../../helpers/requests.ts";
import { waitFor } from "../../../helpers/wait.ts";

const logger = createLogger(logLevel.NOTHING);

describe("BrokerConnection", () => {
  let broker: BrokerProcess;
  const connectionTo = (
    port: number,
    {
      requestTimeout = 5000,
      instrumentation,
    }: { requestTimeout?: number; instrumentation?: NetworkInstrumentation } = {},
  ) =>
    new BrokerConnection({
      host: "127.0.0.1",
      port,
      clientId: "test",
      connectionTimeout: 1000,
      requestTimeout,
      logger,
      instrumentation,
    });

  /** Records what the connection reports, every kind listened to. */
  const recorder = () => {
    const reports: Array<{ kind: NetworkEventKind; payload: any }> = [];
    const instrumentation: NetworkInstrumentation = {
      listens: () => true,
      request: (payload) => reports.push({ kind: "request", payload }),
      requestTimeout: (payload) => reports.push({ kind: "request_timeout", payload }),
      requestQueueSize: (payload) => reports.push({ kind: "request_queue_size", payload }),
    };
    return { reports, instrumentation };
  };

  /** Partition 0 of `topic` from its start, waiting up to `maxWaitMs` for a byte. */
  const fetchFrom = (topic: string, maxWaitMs: number, maxBytes = 1024): FetchRequest =>
    fetchRequest([{ topic, partition: 0, fetchOffset: 0n }], { maxWaitMs, maxBytes });

  /** Asks for `topic` until the controller has created it (auto-creation answers LEADER_NOT_AVAILABLE meanwhile). */
  const topicReady = (connection: BrokerConnection, topic: string) =>
    waitFor(async () => {
      const answer = await connection.request(Apis.Metadata, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: true,
      });
      return answer.topics[0]?.errorCode === 0 && (answer.topics[0]?.partitions[0]?.leaderId ?? -1) >= 0;
    });

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.cleanup();
  });

  it("when connected, then versions are negotiated and pipelined requests each get their own answer", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      assert.equal(connection.versionFor(Apis.Produce), 7);
      assert.equal(connection.versionFor(Apis.Metadata), 6);
      // A caller may go past the client's cap (topic ids for the consumer protocol), not past the broker's.
      assert.equal(connection.versionFor(Apis.Metadata, 10), 10);
      assert.equal(connection.versionFor(Apis.Metadata, 99), 12);
      const answers = await Promise.all(
        ["a", "b", "c"].map((name) =>
          connection.request(Apis.Metadata, { topics: [{ name: `pipe-${name}` }], allowAutoTopicCreation: true }),
        ),
      );
      assert.deepEqual(
        answers.map((a) => a.topics[0]!.name),
        ["pipe-a", "pipe-b", "pipe-c"],
      );
    } finally {
      connection.disconnect();
    }
  });

  it("when an API has no version in common, then KafkaJSServerDoesNotSupportApiKey", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      assert.throws(
        () => connection.versionFor({ ...Apis.Produce, minVersion: 8, maxVersion: 9 }),
        KafkaJSServerDoesNotSupportApiKey,
      );
    } finally {
      connection.disconnect();
    }
  });

  it("when nothing listens, then a retriable KafkaJSConnectionError", async () => {
    const connection = connectionTo(1);
    await assert.rejects(
      connection.connect(),
      (err: unknown) => err instanceof KafkaJSConnectionError && err.retriable,
    );
  });

  it("when the broker restarts, then in-flight requests fail retriably and the next request reconnects", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      const parked = connection.request(Apis.Fetch, fetchFrom("pipe-a", 20000), { extraTimeout: 20000 });
      const outcome = parked.then(
        () => null,
        (err: unknown) => err,
      );
      await broker.kill();
      const err = await outcome;
      assert.ok(
        err instanceof KafkaJSConnectionError && err.retriable,
        `expected a retriable connection error, got ${String(err)}`,
      );
      await broker.restart();
      const metadata = await connection.request(Apis.Metadata, { topics: null, allowAutoTopicCreation: false });
      assert.equal(metadata.brokers[0]!.port, broker.port);
    } finally {
      connection.disconnect();
    }
  });

  it("when instrumented, then every request, ApiVersions first, is reported with its correlation id, api, version, broker, durations and response size", async () => {
    const { reports, instrumentation } = recorder();
    const connection = connectionTo(broker.port, { instrumentation });
    try {
      await Promise.all(
        [1, 2].map(() => connection.request(Apis.Metadata, { topics: null, allowAutoTopicCreation: false })),
      );
    } finally {
      connection.disconnect();
    }
    // Both requests waited for the connection to open: the queue grew to 2, then emptied.
    assert.deepEqual(
      reports.filter((r) => r.kind === "request_queue_size").map((r) => r.payload.queueSize),
      [1, 2, 1, 0],
    );
    const requests = reports.filter((r) => r.kind === "request").map((r) => r.payload);
    assert.deepEqual(
      requests.map((r) => [r.apiName, r.apiKey, r.apiVersion, r.correlationId]),
      [
        ["ApiVersions", 18, 3, 0],
        ["Metadata", 3, 6, 1],
        ["Metadata", 3, 6, 2],
      ],
    );
    for (const request of requests) {
      assert.deepEqual([request.broker, request.clientId], [broker.address, "test"]);
      assert.ok(request.size > 0 && request.duration >= 0 && request.sentAt >= request.createdAt);
      assert.equal(request.pendingDuration, request.sentAt - request.createdAt);
    }
  });

  it("when a request outlasts the request timeout, then it rejects with KafkaJSRequestTimeoutError, REQUEST_TIMEOUT reports it, and the connection carries on", async () => {
    const { reports, instrumentation } = recorder();
    const connection = connectionTo(broker.port, { requestTimeout: 300, instrumentation });
    try {
      await topicReady(connection, "idle-topic");
      const error = await connection.request(Apis.Fetch, fetchFrom("idle-topic", 3000)).then(
        () => null,
        (err: unknown) => err,
      );
      assert.ok(
        error instanceof KafkaJSRequestTimeoutError && error.retriable,
        `expected a request timeout, got ${String(error)}`,
      );
      // The newest Fetch both sides speak.
      const version = Apis.Fetch.clientMaxVersion;
      assert.equal(error.message, `Request Fetch(key: 1, version: ${version}) timed out`);
      const [timeout] = reports.filter((r) => r.kind === "request_timeout").map((r) => r.payload);
      assert.deepEqual(
        [timeout.apiName, timeout.apiKey, timeout.apiVersion, timeout.correlationId, timeout.broker],
        ["Fetch", 1, version, error.correlationId, broker.address],
      );
      assert.equal("duration" in timeout || "size" in timeout, false);
      assert.deepEqual(
        [error.broker, error.createdAt, error.sentAt, error.pendingDuration],
        [timeout.broker, timeout.createdAt, timeout.sentAt, timeout.pendingDuration],
      );
      // Answered once the broker has answered the Fetch before it (the late answer is dropped).
      const metadata = await connection.request(
        Apis.Metadata,
        { topics: null, allowAutoTopicCreation: false },
        { extraTimeout: 10_000 },
      );
      assert.equal(metadata.brokers.length, 1);
    } finally {
      connection.disconnect();
    }
  });

  it("when a response spans many TCP chunks, then it arrives whole", async () => {
    const connection = connectionTo(broker.port);
    try {
      const topic = "large-responses";
      await topicReady(connection, topic);
      // Under the broker's default 1 MB batch limit, and still many times a socket read.
      const values = Array.from({ length: 6 }, (_, i) => Buffer.alloc(150 * 1024, i + 1));
      const records = encodeRecordBatch({ records: values.map((value) => ({ key: null, value })) });
      const produced = await connection.request(Apis.Produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      });
      assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
      const fetched = await connection.request(Apis.Fetch, fetchFrom(topic, 0, 8 << 20));
      const data = fetched.responses[0]!.partitions[0]!;
      const raw =
        data.records === null
          ? Buffer.alloc(0)
          : Array.isArray(data.records)
            ? Buffer.concat(data.records)
            : data.records;
      assert.ok(raw.length > 900 * 1024);
      const [batch] = splitBatches(raw).batches;
      assert.deepEqual(
        decodeRecordBatch(raw, batch!.position).records.map((r) => r.value),
        values,
      );
    } finally {
      connection.disconnect();
    }
  });
});
