import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KafkaJSConnectionError, KafkaJSServerDoesNotSupportApiKey } from "../../../../broker/client/errors.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";
import { BrokerConnection } from "../../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { startBroker, type BrokerProcess } from "../../../helpers/broker-process.ts";

const logger = createLogger(logLevel.NOTHING);

describe("BrokerConnection", () => {
  let broker: BrokerProcess;
  const connectionTo = (port: number) =>
    new BrokerConnection({ host: "127.0.0.1", port, clientId: "test", connectionTimeout: 1000, requestTimeout: 5000, logger });

  before(async () => { broker = await startBroker(); });
  after(async () => { await broker?.cleanup(); });

  it("when connected, then versions are negotiated and pipelined requests each get their own answer", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      assert.equal(connection.versionFor(Apis.Produce), 7);
      assert.equal(connection.versionFor(Apis.Metadata), 6);
      const answers = await Promise.all(
        ["a", "b", "c"].map((name) => connection.request(Apis.Metadata, { topics: [{ name: `pipe-${name}` }], allowAutoTopicCreation: true })),
      );
      assert.deepEqual(answers.map((a) => a.topics[0]!.name), ["pipe-a", "pipe-b", "pipe-c"]);
    } finally {
      connection.disconnect();
    }
  });

  it("when an API has no version in common, then KafkaJSServerDoesNotSupportApiKey", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      assert.throws(() => connection.versionFor({ ...Apis.Produce, minVersion: 8, maxVersion: 9 }), KafkaJSServerDoesNotSupportApiKey);
    } finally {
      connection.disconnect();
    }
  });

  it("when nothing listens, then a retriable KafkaJSConnectionError", async () => {
    const connection = connectionTo(1);
    await assert.rejects(connection.connect(), (err: unknown) => err instanceof KafkaJSConnectionError && err.retriable);
  });

  it("when the broker restarts, then in-flight requests fail retriably and the next request reconnects", async () => {
    const connection = connectionTo(broker.port);
    try {
      await connection.connect();
      const parked = connection.request(
        Apis.Fetch,
        { replicaId: -1, maxWaitMs: 20000, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: "pipe-a", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1024 }] }],
          forgottenTopicsData: [], rackId: "" },
        { extraTimeout: 20000 },
      );
      const outcome = parked.then(() => null, (err: unknown) => err);
      await broker.kill();
      const err = await outcome;
      assert.ok(err instanceof KafkaJSConnectionError && err.retriable, `expected a retriable connection error, got ${String(err)}`);
      await broker.restart();
      const metadata = await connection.request(Apis.Metadata, { topics: null, allowAutoTopicCreation: false });
      assert.equal(metadata.brokers[0]!.port, broker.port);
    } finally {
      connection.disconnect();
    }
  });
});
