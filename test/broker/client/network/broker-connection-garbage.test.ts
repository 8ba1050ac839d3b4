// A broker that answers garbage: each kind of bad answer fails the request it reaches with a clear,
// retriable KafkaJS error, the client closes that socket (nothing after a corrupt frame can be
// trusted), and the next request reconnects. The broker is played by a TCP server on 127.0.0.1
// that answers ApiVersions properly, Metadata properly unless told otherwise.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
} from "../../../../broker/client/errors.ts";
import { Kafka } from "../../../../broker/client/kafka.ts";
import { logLevel } from "../../../../broker/client/logger.ts";
import { BrokerConnection } from "../../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { FrameReader } from "../../../../broker/protocol/frame-reader.ts";
import { encodeResponse, type RequestHeader, readRequestHeader } from "../../../../broker/protocol/headers.ts";
import type { MetadataRequest, MetadataResponse } from "../../../../broker/protocol/messages/index.ts";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { apiVersionsAnswer } from "../../../../broker/server/handlers/18-api-versions.ts";
import { rejectionOf, silentLogger, waitFor } from "../helpers.ts";

/** How the fake broker answers a Metadata request. */
type Answer = (socket: Socket, request: RequestHeader) => void;

interface FakeBroker {
  port: number;
  address: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** The next Metadata request gets `answer`; later ones a good answer again. */
  answerNext(answer: Answer): void;
  /** Every Metadata request from now on gets `answer` (a good answer when undefined). */
  answerAll(answer: Answer | undefined): void;
  close(): Promise<void>;
}

const int32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};

/** `content` (correlation id, header rest and body) behind its size prefix. */
const frameOf = (...content: Buffer[]): Buffer => {
  const payload = Buffer.concat(content);
  return Buffer.concat([int32(payload.length), payload]);
};

const metadataAnswer = (port: number): MetadataResponse => ({
  throttleTimeMs: 0,
  brokers: [{ nodeId: 0, host: "127.0.0.1", port, rack: null }],
  clusterId: "garbage-test",
  controllerId: 0,
  topics: [],
  clusterAuthorizedOperations: -2147483648,
});

/** The good answer's bytes, size prefix included. */
const goodMetadataFrame = (port: number, request: RequestHeader, correlationId = request.correlationId): Buffer =>
  Buffer.concat(encodeResponse(Apis.Metadata, request.apiVersion, correlationId, metadataAnswer(port)));

async function startFakeBroker(): Promise<FakeBroker> {
  const oneShot: Answer[] = [];
  let always: Answer | undefined;
  const sockets = new Set<Socket>();
  const good: Answer = (socket, request) => socket.write(goodMetadataFrame(broker.port, request));
  const server = createServer((socket) => {
    broker.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // The client resets sockets it gives up on.
    socket.on("error", () => {});
    const frames = new FrameReader(
      { minSize: 0, maxSize: 1 << 20, preallocateUpTo: 1 << 20 },
      (frame) => {
        const { header } = readRequestHeader(frame);
        if (header.apiKey === Apis.ApiVersions.apiKey) {
          const answer = apiVersionsAnswer([Apis.ApiVersions, Apis.Metadata]);
          socket.write(
            Buffer.concat(encodeResponse(Apis.ApiVersions, header.apiVersion, header.correlationId, answer)),
          );
        } else {
          (oneShot.shift() ?? always ?? good)(socket, header);
        }
      },
      () => socket.destroy(),
    );
    socket.on("data", (chunk: Buffer) => frames.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const broker: FakeBroker = {
    port,
    address: `127.0.0.1:${port}`,
    connections: 0,
    answerNext: (answer) => oneShot.push(answer),
    answerAll: (answer) => {
      always = answer;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return broker;
}

/** 64 bytes that look random and are the same on every run. */
const noise = createHash("sha512").update("garbage").digest();

const everyTopic: MetadataRequest = { topics: null, allowAutoTopicCreation: false };

describe("BrokerConnection, when the broker answers garbage", () => {
  let broker: FakeBroker;
  before(async () => {
    broker = await startFakeBroker();
  });
  after(() => broker?.close());

  const connectionTo = ({ requestTimeout = 5000 } = {}) =>
    new BrokerConnection({
      host: "127.0.0.1",
      port: broker.port,
      clientId: "garbage-test",
      connectionTimeout: 1000,
      requestTimeout,
      logger: silentLogger,
    });

  /**
   * Connects, has the next Metadata answered with `garbage`, and returns the error the request
   * fails with, once the following request (on a new socket) has been answered properly.
   */
  const failureOf = async (garbage: Answer, { requestTimeout = 5000 } = {}) => {
    const connection = connectionTo({ requestTimeout });
    try {
      await connection.connect();
      const connectionsBefore = broker.connections;
      broker.answerNext(garbage);
      const error = await rejectionOf(connection.request(Apis.Metadata, everyTopic));
      await waitFor(() => !connection.isConnected, "the socket that carried garbage is closed");
      const answer = await connection.request(Apis.Metadata, everyTopic);
      assert.equal(answer.clusterId, "garbage-test");
      assert.equal(broker.connections, connectionsBefore + 1, "the next request reconnected");
      return error;
    } finally {
      connection.disconnect();
    }
  };

  const assertConnectionError = (error: Error & Record<string, any>, message: RegExp) => {
    assert.ok(error instanceof KafkaJSConnectionError, `expected a KafkaJSConnectionError, got ${error}`);
    assert.match(error.message, message);
    assert.equal(error.retriable, true, "another connection may well be answered properly");
    assert.equal(error.broker, broker.address);
  };

  for (const [what, size] of [
    ["negative", -1],
    ["2 GiB", 0x7fffffff],
    ["just over the 1 GiB cap", (1 << 30) + 1],
  ] as const) {
    it(`when a size prefix is ${what}, then a KafkaJSConnectionError names the size and the next request reconnects`, async () => {
      const error = await failureOf((socket) => socket.write(int32(size)));
      assertConnectionError(
        error,
        new RegExp(`^Response from ${broker.address} announces an impossible size of ${size} bytes$`),
      );
    });
  }

  it("when an answer carries a correlation id no request has, then a KafkaJSConnectionError names it and the next request reconnects", async () => {
    const error = await failureOf((socket, request) =>
      socket.write(goodMetadataFrame(broker.port, request, request.correlationId + 1000)),
    );
    assertConnectionError(error, /has correlation id \d+, which no request is waiting for$/);
  });

  for (const [what, garbage, detail] of [
    [
      "is truncated",
      (socket, request) => socket.write(frameOf(goodMetadataFrame(broker.port, request).subarray(4, 14))),
      /need 4 bytes at offset 8, only 2 left$/,
    ],
    ["is random bytes", (socket, request) => socket.write(frameOf(int32(request.correlationId), noise)), /./],
    [
      "claims 2^31-1 brokers",
      (socket, request) =>
        socket.write(frameOf(int32(request.correlationId), int32(0), int32(0x7fffffff), Buffer.alloc(8))),
      /claims 2147483647 items with 8 bytes left$/,
    ],
  ] as Array<[string, Answer, RegExp]>) {
    it(`when an answer's body ${what}, then a KafkaJSConnectionError says which response did not decode and why, and the next request reconnects`, async () => {
      const error = await failureOf(garbage);
      const version = Apis.Metadata.clientMaxVersion;
      assertConnectionError(
        error,
        new RegExp(`^Malformed response to Metadata\\(key: 3, version: ${version}\\) from ${broker.address}: `),
      );
      assert.ok(error.cause instanceof ProtocolDecodeError, `cause: ${error.cause}`);
      assert.match(error.message, detail);
    });
  }

  it("when an answer does not decode, then every request in flight on that socket fails with the same error, answers behind it unread", async () => {
    const connection = connectionTo();
    try {
      await connection.connect();
      // The good answer to the second request follows the garbage, likely in the same TCP chunk.
      broker.answerNext((socket, request) => socket.write(frameOf(int32(request.correlationId), int32(0))));
      const errors = await Promise.all([1, 2].map(() => rejectionOf(connection.request(Apis.Metadata, everyTopic))));
      assertConnectionError(errors[0]!, /^Malformed response to Metadata/);
      assert.equal(errors[1], errors[0]);
      assert.equal((await connection.request(Apis.Metadata, everyTopic)).clusterId, "garbage-test");
    } finally {
      connection.disconnect();
    }
  });

  it("when the broker closes the connection in the middle of an answer, then a KafkaJSConnectionClosedError says so and the next request reconnects", async () => {
    const error = await failureOf((socket, request) => {
      socket.write(Buffer.concat([int32(100), int32(request.correlationId), Buffer.alloc(6)]));
      socket.end();
    });
    assert.ok(error instanceof KafkaJSConnectionClosedError, `got ${error}`);
    assert.equal(error.message, `Connection to ${broker.address} closed in the middle of a response`);
    assert.equal(error.retriable, true);
  });

  it("when an answer announces 256 MiB and stops after a few bytes, then nothing near that size is allocated, the request times out and the stalled socket is closed", async () => {
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    const error = await failureOf(
      (socket, request) => socket.write(Buffer.concat([int32(256 << 20), int32(request.correlationId), noise])),
      { requestTimeout: 500 },
    );
    assert.ok(error instanceof KafkaJSRequestTimeoutError && error.retriable, `got ${error}`);
    const grown = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
    assert.ok(grown < 64 << 20, `array buffers grew by ${grown} bytes`);
  });
});

describe("Kafka admin, when the broker answers garbage", () => {
  let broker: FakeBroker;
  before(async () => {
    broker = await startFakeBroker();
  });
  after(() => broker?.close());

  it("when every Metadata answer is malformed, then fetchTopicMetadata rejects after its retries, the cause naming the broker, each attempt on a new connection", async () => {
    const kafka = new Kafka({
      brokers: [broker.address],
      clientId: "garbage-test",
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 10, maxRetryTime: 50 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const connectionsBefore = broker.connections;
      broker.answerAll((socket, request) => socket.write(frameOf(int32(request.correlationId), noise)));
      const error = await rejectionOf(admin.fetchTopicMetadata({ topics: ["points.commands"] }));
      assert.ok(error instanceof KafkaJSNumberOfRetriesExceeded, `got ${error}`);
      assert.equal(error.retryCount, 2);
      assert.ok(error.cause instanceof KafkaJSConnectionError, `cause: ${error.cause}`);
      assert.match(error.cause.message, new RegExp(`^Malformed response to Metadata\\(.*\\) from ${broker.address}: `));
      // The first attempt goes out on the connection admin.connect() opened; each retry on a new one.
      assert.equal(broker.connections, connectionsBefore + 2);
    } finally {
      broker.answerAll(undefined);
      await admin.disconnect();
    }
  });
});
