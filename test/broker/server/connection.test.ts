import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRequest } from "../../../broker/protocol/headers.ts";
import { Connection } from "../../../broker/server/connection.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { createTopicsRequest, fetchRequest } from "../../helpers/requests.ts";
import { waitFor } from "../../helpers/wait.ts";
import { useWireClient } from "../../helpers/wire-client.ts";

const closedByBroker = (bytes: Buffer, address: { host: string; port: number }): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => socket.write(bytes));
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    setTimeout(() => {
      socket.destroy();
      reject(new Error("the broker kept the connection open"));
    }, 10000).unref();
  });

describe("Connection", () => {
  const broker = useBroker({ config: { "socket.request.max.bytes": 1024 * 1024 } });
  const healthy = useWireClient(broker);

  const stillServes = async () => {
    const response = await healthy.request(Apis.Metadata, 1, { topics: null, allowAutoTopicCreation: false });
    assert.equal(response.brokers.length, 1);
  };

  it("when a frame announces more than socket.request.max.bytes, then that connection is closed and others keep working", async () => {
    const header = Buffer.alloc(4);
    header.writeInt32BE(2_000_000_000);
    await closedByBroker(header, broker);
    await stillServes();
  });

  it("when a frame holds garbage, then that connection is closed and others keep working", async () => {
    const garbage = Buffer.alloc(68, 0xab);
    garbage.writeInt32BE(64, 0);
    await closedByBroker(garbage, broker);
    await stillServes();
  });

  it("when a frame names an unknown API key, then that connection is closed", async () => {
    const frame = Buffer.from("0000000a0fa0000000000001ffff", "hex");
    await closedByBroker(frame, broker);
    await stillServes();
  });

  it("when a request arrives a few bytes at a time, then it is answered", async () => {
    const frame = Buffer.concat(
      encodeRequest(Apis.ApiVersions, 0, 77, "trickle", { clientSoftwareName: "", clientSoftwareVersion: "" }),
    );
    const socket = connect(broker.port, broker.host);
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const answered = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    for (let offset = 0; offset < frame.length; offset += 3) {
      const piece = frame.subarray(offset, offset + 3);
      await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
    }
    const response = await answered;
    socket.destroy();
    assert.equal(response.readInt32BE(4), 77, "the correlation id of the trickled request");
    await stillServes();
  });

  it("when requests are pipelined and a slow one comes first, then the responses come back in request order", async () => {
    await healthy.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "pipelined", numPartitions: 1 }], 1000));
    const order: string[] = [];
    const slowFetch = healthy
      .request(
        Apis.Fetch,
        11,
        fetchRequest([{ topic: "pipelined", partition: 0, fetchOffset: 0n }], { maxWaitMs: 300, maxBytes: 1024 }),
      )
      .then((r) => {
        order.push("fetch");
        return r;
      });
    const quickMetadata = healthy
      .request(Apis.Metadata, 1, { topics: null, allowAutoTopicCreation: false })
      .then(() => order.push("metadata"));
    const [fetched] = await Promise.all([slowFetch, quickMetadata]);
    assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(order, ["fetch", "metadata"]);
  });
});

describe("Connection limits on a broker process", () => {
  // The broker's own controller channel comes from 127.0.0.1; the test connects from 127.0.0.2.
  const broker = useBroker({ config: { "max.connections.per.ip.overrides": "127.0.0.2:2" }, adminPort: 0 });

  const openConnection = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port: broker.port, host: broker.host, localAddress: "127.0.0.2" }, () =>
        resolve(socket),
      );
      socket.on("error", reject);
    });

  /** Whether `socket` gets an answer to ApiVersions (true) or is closed (false). */
  const answered = (socket: Socket): Promise<boolean> =>
    new Promise((resolve) => {
      socket.once("data", () => resolve(true));
      socket.once("close", () => resolve(false));
      const request = encodeRequest(Apis.ApiVersions, 0, 1, "limits", {
        clientSoftwareName: "",
        clientSoftwareVersion: "",
      });
      socket.write(Buffer.concat(request));
    });

  const scrape = async (): Promise<string> => (await fetch(`${broker.adminUrl}/metrics`)).text();

  it("when an address already holds max.connections.per.ip connections, then its next one is closed at once and counted, and one more fits after a close", async () => {
    const first = await openConnection();
    const second = await openConnection();
    assert.equal(await answered(second), true);
    const third = await openConnection();
    assert.equal(await answered(third), false, "the third connection from 127.0.0.2 is closed");
    assert.match(
      await scrape(),
      /kafka_server_socket_server_metrics_connections_refused_total\{limit="max.connections.per.ip"\} 1\n/,
    );

    first.destroy();
    let fourth: Socket | undefined;
    await waitFor(
      async () => {
        fourth?.destroy();
        fourth = await openConnection();
        return answered(fourth);
      },
      { message: "a connection from 127.0.0.2 served again after one closed" },
    );
    fourth?.destroy();
    second.destroy();
  });
});

describe("Connection.closeAfterResponses", () => {
  it("when a handler asks to close after its answer, then that answer arrives, later pipelined requests are not handled, and the socket ends", async () => {
    const handled: string[] = [];
    const server = createServer((socket) => {
      new Connection(
        socket,
        (frame, connection) => {
          const text = frame.toString();
          handled.push(text);
          if (text === "refuse") connection.closeAfterResponses();
          const answer = Buffer.from(`answer to ${text}`);
          const size = Buffer.alloc(4);
          size.writeInt32BE(answer.length);
          return [size, answer];
        },
        1024,
        silentLogger,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const frame = (text: string) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(text.length);
      return Buffer.concat([size, Buffer.from(text)]);
    };
    socket.write(Buffer.concat([frame("hello"), frame("refuse"), frame("after")]));
    await ended;
    server.close();
    const bytes = Buffer.concat(received);
    const answers: string[] = [];
    for (let at = 0; at < bytes.length; at += 4 + bytes.readInt32BE(at))
      answers.push(bytes.subarray(at + 4, at + 4 + bytes.readInt32BE(at)).toString());
    assert.deepEqual(handled, ["hello", "refuse"]);
    assert.deepEqual(answers, ["answer to hello", "answer to refuse"]);
  });
});
