// The limits one Connection keeps, on a real loopback socket with a handler the test controls:
// requests in flight, the broker-wide memory pool, answers the client does not read, idleness.
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { Connection, type ConnectionLimits } from "../../../broker/server/connection.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { RequestMemoryPool } from "../../../broker/server/request-memory-pool.ts";
import { waitFor } from "../../helpers/wait.ts";

/** A request of the test's own: a size prefix, then a 4-byte id and `padding` bytes. */
function requestFrame(id: number, padding = 0): Buffer {
  const frame = Buffer.alloc(8 + padding);
  frame.writeInt32BE(4 + padding, 0);
  frame.writeInt32BE(id, 4);
  return frame;
}

/** An answer frame carrying the request's id. */
function answer(id: number): Buffer[] {
  const frame = Buffer.alloc(8);
  frame.writeInt32BE(4, 0);
  frame.writeInt32BE(id, 4);
  return [frame];
}

interface HeldRequest {
  id: number;
  bytes: number;
  release: () => void;
}

/** A server whose connections hand every request to the test, which answers when it likes. */
class HeldServer {
  readonly held: HeldRequest[] = [];
  readonly connections: Connection[] = [];
  private server: Server | undefined;
  port = 0;

  constructor(private readonly limits: Partial<ConnectionLimits>) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      const connection = new Connection(
        socket,
        (frame) =>
          new Promise((resolve) => {
            const id = frame.readInt32BE(0);
            this.held.push({ id, bytes: frame.length, release: () => resolve(answer(id)) });
          }),
        1024 * 1024,
        silentLogger,
        this.limits,
      );
      this.connections.push(connection);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  releaseAll(): void {
    for (const request of this.held.splice(0)) request.release();
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.close();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function client(port: number): Promise<{ socket: Socket; answers: number[] }> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  const answers: number[] = [];
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      answers.push(pending.readInt32BE(4));
      pending = pending.subarray(8);
    }
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, answers };
}

describe("Connection limits", () => {
  describe("requests in flight", () => {
    const server = new HeldServer({ maxInFlightRequests: 3 });
    before(() => server.start());
    after(() => server.stop());

    it("when more requests are pipelined than may be in flight, then only that many are handled until answers go out, and every one is answered in order", async () => {
      const { socket, answers } = await client(server.port);
      socket.write(Buffer.concat(Array.from({ length: 10 }, (_, id) => requestFrame(id))));
      await waitFor(() => server.held.length === 3, { message: "three requests handed on" });
      await waitFor(() => server.connections[0]!.heldBackRequests > 0, { message: "the others read and held back" });
      assert.equal(server.held.length, 3);
      assert.equal(server.connections[0]!.inFlightRequests, 3);

      for (let round = 0; answers.length < 10; round++) {
        assert.ok(round < 20, "every request answered");
        server.releaseAll();
        await waitFor(() => server.held.length > 0 || answers.length === 10, {
          message: "the next requests handed on",
        });
      }
      assert.deepEqual(answers, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      socket.destroy();
    });
  });

  describe("the memory pool", () => {
    const pool = new RequestMemoryPool(10_000);
    const server = new HeldServer({ memoryPool: pool });
    before(() => server.start());
    after(() => server.stop());

    it("when requests on two connections would exceed queued.max.request.bytes, then the later one waits until the earlier is answered", async () => {
      const first = await client(server.port);
      const second = await client(server.port);
      first.socket.write(requestFrame(1, 6_000));
      await waitFor(() => server.held.length === 1, { message: "the first request handed on" });
      second.socket.write(requestFrame(2, 6_000));
      await waitFor(() => server.connections[1]?.heldBackRequests === 1, {
        message: "the second request read and held back",
      });
      assert.deepEqual(
        server.held.map((r) => r.id),
        [1],
        "the second request is held back",
      );
      assert.equal(pool.usedBytes, 6_004);

      server.releaseAll();
      await waitFor(() => server.held.length === 1 && server.held[0]!.id === 2, {
        message: "the second request handed on",
      });
      server.releaseAll();
      await waitFor(() => first.answers.length === 1 && second.answers.length === 1, { message: "both answered" });
      assert.equal(pool.usedBytes, 0);
      first.socket.destroy();
      second.socket.destroy();
    });

    it("when one request is larger than the whole pool, then it is still handled once the pool is empty", async () => {
      const { socket, answers } = await client(server.port);
      socket.write(requestFrame(3, 20_000));
      await waitFor(() => server.held.length === 1, { message: "the oversized request handed on" });
      server.releaseAll();
      await waitFor(() => answers.length === 1, { message: "answered" });
      assert.equal(pool.usedBytes, 0);
      socket.destroy();
    });

    it("when a connection closes with requests still being handled, then their bytes return to the pool as they complete", async () => {
      const { socket } = await client(server.port);
      socket.write(requestFrame(4, 100));
      await waitFor(() => server.held.length === 1, { message: "handed on" });
      socket.destroy();
      const connection = server.connections.at(-1)!;
      await waitFor(() => connection.isClosed, { message: "the broker saw the close" });
      assert.equal(pool.usedBytes, 104);
      server.releaseAll();
      await waitFor(() => pool.usedBytes === 0, { message: "the bytes released" });
    });
  });

  describe("requests that wait for their connection", () => {
    const pool = new RequestMemoryPool(10_000);
    const server = new HeldServer({ memoryPool: pool });
    before(() => server.start());
    after(() => server.stop());

    it("when a client goes while its request waits, then the request is told at once and its bytes return to the pool; a request told after the close hears at once", async () => {
      const { socket } = await client(server.port);
      socket.write(requestFrame(6, 9_000));
      await waitFor(() => server.held.length === 1, { message: "handed on" });
      const connection = server.connections.at(-1)!;
      let told = 0;
      connection.whenClosed(() => {
        told++;
        server.releaseAll(); // as a waiting fetch does: it answers, and the answer goes nowhere
      });
      const takenBack = connection.whenClosed(() => assert.fail("a listener taken back is not called"));
      takenBack();
      assert.equal(pool.usedBytes, 9_004);

      socket.destroy();
      await waitFor(() => pool.usedBytes === 0, { message: "the waiting request's bytes released" });
      assert.equal(told, 1);
      let toldLate = false;
      connection.whenClosed(() => {
        toldLate = true;
      });
      assert.equal(toldLate, true);
    });
  });

  describe("idleness", () => {
    const server = new HeldServer({ idleTimeoutMs: 60_000 });
    before(() => server.start());
    after(() => server.stop());

    const socketOf = (connection: Connection): Socket => (connection as unknown as { socket: Socket }).socket;

    it("when the idle timeout passes while a request is being handled, then the connection stays open; once answered, the next timeout closes it", async () => {
      const { socket, answers } = await client(server.port);
      socket.write(requestFrame(5));
      await waitFor(() => server.held.length === 1, { message: "handed on" });
      const connection = server.connections.at(-1)!;
      socketOf(connection).emit("timeout");
      assert.equal(connection.isClosed, false);
      server.releaseAll();
      await waitFor(() => answers.length === 1, { message: "answered" });
      socketOf(connection).emit("timeout");
      assert.equal(connection.isClosed, true);
      socket.destroy();
    });
  });

  describe("a real idle timeout", () => {
    const server = new HeldServer({ idleTimeoutMs: 100 });
    before(() => server.start());
    after(() => server.stop());

    it("when a client sends nothing for connections.max.idle.ms, then the broker closes its connection", async () => {
      const { socket } = await client(server.port);
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      await closed;
      assert.equal(server.connections.at(-1)!.isClosed, true);
    });
  });
});
