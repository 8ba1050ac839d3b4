// A connection from this broker to another node: the client's BrokerConnection on a real socket,
// named by its client id on the other side, with its log lines in the broker's logger.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { freePorts } from "../../../apps/broker-cluster.ts";
import { KafkaJSConnectionError } from "../../../broker/client/errors.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { interBrokerConnection } from "../../../broker/server/inter-broker-connection.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { incarnationOf } from "../controller/cluster-fixture.ts";
import { recordingLogger, startControllerNode } from "./controller-node.ts";

describe("interBrokerConnection", () => {
  it("when a request is sent, then the other node gets it under the given client id and the answer comes back", async (t) => {
    const node = await startControllerNode(t);
    const connection = interBrokerConnection(node.address, "broker-4-to-controller", 5_000, silentLogger);
    t.after(() => connection.disconnect());

    const response = await connection.request(Apis.BrokerRegistration, {
      brokerId: 4,
      clusterId: "cluster-a",
      incarnationId: incarnationOf(4),
      listeners: [],
      features: [],
      rack: null,
    });

    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      node.received.map((r) => [r.api, r.clientId]),
      [
        ["ApiVersions", "broker-4-to-controller"],
        ["BrokerRegistration", "broker-4-to-controller"],
      ],
    );
  });

  it("when nothing listens at the address, then the request fails with a retriable connection error", async () => {
    const [port] = await freePorts("127.0.0.1", 1);
    const connection = interBrokerConnection(
      { host: "127.0.0.1", port: port! },
      "replica-fetcher-0-from-1",
      5_000,
      silentLogger,
    );

    await assert.rejects(
      connection.request(Apis.ApiVersions, { clientSoftwareName: "x", clientSoftwareVersion: "1" }),
      (error: unknown) => error instanceof KafkaJSConnectionError && error.retriable,
    );
  });

  it("when the connection breaks, then the broker's logger gets the client's line about it", async (t) => {
    const server = createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    const log = recordingLogger();
    const connection = interBrokerConnection({ host: "127.0.0.1", port }, "replica-fetcher-0-from-1", 5_000, log);

    await assert.rejects(connection.request(Apis.ApiVersions, { clientSoftwareName: "x", clientSoftwareVersion: "1" }));

    const line = log.lines.find((l) => l.message === "connection error");
    assert.ok(line, `logged: ${JSON.stringify(log.lines)}`);
    assert.equal(line.level, "debug");
    assert.equal(line.fields!.broker, `127.0.0.1:${port}`);
  });
});
