// How a broker reaches the active controller: to whichever voter the quorum names, on real sockets to
// controller nodes served by the real request router; again to the next leader when the one asked is
// not the controller or cannot be reached; until the deadline.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { freePorts } from "../../../apps/broker-cluster.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import {
  type ControllerAddress,
  ControllerUnavailableError,
  NodeToControllerChannel,
} from "../../../broker/server/node-to-controller-channel.ts";
import { waitFor } from "../../helpers/wait.ts";
import { incarnationOf } from "../controller/cluster-fixture.ts";
import { startControllerNode } from "./controller-node.ts";

/** Who leads as the test says, telling the listeners when it changes. */
class TestQuorum {
  readonly #listeners = new Set<() => void>();

  constructor(public leaderId: number | null) {}

  onLeaderChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  elect(leaderId: number | null): void {
    this.leaderId = leaderId;
    for (const listener of [...this.#listeners]) listener();
  }

  get waiting(): number {
    return this.#listeners.size;
  }
}

function channelTo(
  t: TestContext,
  voters: ControllerAddress[],
  quorum: TestQuorum,
  { retryBackoffMs = 60_000, requestTimeoutMs = 30_000 } = {},
): NodeToControllerChannel {
  const channel = new NodeToControllerChannel({
    localId: 7,
    voters,
    quorum,
    requestTimeoutMs,
    retryBackoffMs,
    log: silentLogger,
  });
  t.after(() => channel.close());
  return channel;
}

const registration = (brokerId = 7) => ({
  brokerId,
  clusterId: "cluster-a",
  incarnationId: incarnationOf(brokerId),
  listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9099, securityProtocol: 0 }],
  features: [],
  rack: null,
});

describe("NodeToControllerChannel", () => {
  it("when the quorum names a leader, then the request goes to that voter and its answer comes back", async (t) => {
    const active = await startControllerNode(t, { nodeId: 0 });
    const other = await startControllerNode(t, { nodeId: 1, active: false });
    const channel = channelTo(t, [active.address, other.address], new TestQuorum(0));

    const response = await channel.send(Apis.BrokerRegistration, registration());

    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.equal(response.brokerEpoch, active.loader.image.broker(7)!.epoch);
    assert.equal(active.count("BrokerRegistration"), 1);
    assert.equal(other.count("BrokerRegistration"), 0);
    assert.deepEqual(
      new Set(active.received.map((r) => r.clientId)),
      new Set(["broker-7-to-controller"]),
      "the controller's logs tell who asks",
    );
  });

  it("when no leader is elected yet, then the request waits until the quorum names one", async (t) => {
    const node = await startControllerNode(t, { nodeId: 0 });
    const quorum = new TestQuorum(null);
    const channel = channelTo(t, [node.address], quorum);

    const sending = channel.send(Apis.BrokerRegistration, registration());
    await waitFor(() => quorum.waiting === 1, { message: "the request waits for a leader" });
    assert.equal(node.count("BrokerRegistration"), 0);
    quorum.elect(0);

    assert.equal((await sending).errorCode, ErrorCode.NONE);
    assert.equal(node.count("BrokerRegistration"), 1);
  });

  it("when the voter asked answers NOT_CONTROLLER, then the request goes again to the next leader", async (t) => {
    const stale = await startControllerNode(t, { nodeId: 0, active: false });
    const next = await startControllerNode(t, { nodeId: 1 });
    const quorum = new TestQuorum(0);
    const channel = channelTo(t, [stale.address, next.address], quorum);

    const sending = channel.send(Apis.BrokerRegistration, registration());
    await waitFor(() => stale.count("BrokerRegistration") === 1 && quorum.waiting === 1, {
      message: "asked the old leader, waiting for the next",
    });
    quorum.elect(1);

    assert.equal((await sending).errorCode, ErrorCode.NONE);
    assert.equal(next.count("BrokerRegistration"), 1);
    assert.equal(stale.count("BrokerRegistration"), 1);
  });

  it("when the controller cannot be reached, then the request is sent again once it serves", async (t) => {
    const [port] = await freePorts("127.0.0.1", 1);
    const quorum = new TestQuorum(0);
    const channel = channelTo(t, [{ nodeId: 0, host: "127.0.0.1", port: port! }], quorum, { retryBackoffMs: 20 });

    let settled = false;
    const sending = channel.send(Apis.BrokerRegistration, registration()).finally(() => {
      settled = true;
    });
    await waitFor(() => quorum.waiting === 1, { message: "the first attempt failed and the request waits" });
    assert.equal(settled, false);
    const node = await startControllerNode(t, { nodeId: 0, port });

    assert.equal((await sending).errorCode, ErrorCode.NONE);
    assert.equal(node.count("BrokerRegistration"), 1);
  });

  it("when no controller answers before the deadline, then it rejects with ControllerUnavailableError saying why", async (t) => {
    const channel = channelTo(t, [], new TestQuorum(null), { retryBackoffMs: 10 });
    await assert.rejects(
      channel.send(Apis.BrokerRegistration, registration(), { timeoutMs: 30 }),
      (error: Error) =>
        error instanceof ControllerUnavailableError &&
        /BrokerRegistration got no controller's answer: no controller elected yet/.test(error.message),
    );
  });

  it("when the leader is not among the voters it knows, then it waits for one it can reach", async (t) => {
    const node = await startControllerNode(t, { nodeId: 0 });
    const quorum = new TestQuorum(5);
    const channel = channelTo(t, [node.address], quorum);

    const sending = channel.send(Apis.BrokerRegistration, registration());
    await waitFor(() => quorum.waiting === 1, { message: "the request waits" });
    quorum.elect(0);
    assert.equal((await sending).errorCode, ErrorCode.NONE);
  });

  /** A voter that takes connections and never answers (a paused process): its address, and what it was sent. */
  const frozenVoter = async (t: TestContext, nodeId: number) => {
    const received: Buffer[] = [];
    const server = createServer((socket) => socket.on("data", (chunk: Buffer) => received.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    return { address: { nodeId, host: "127.0.0.1", port }, received };
  };

  it("when the controller asked stops answering and another voter takes the lead, then the request goes to the new leader without waiting for its timeout", {
    timeout: 20_000,
  }, async (t) => {
    const frozen = await frozenVoter(t, 0);
    const active = await startControllerNode(t, { nodeId: 1 });
    const quorum = new TestQuorum(0);
    const channel = channelTo(t, [frozen.address, active.address], quorum, { retryBackoffMs: 10 });

    const sending = channel.send(Apis.BrokerRegistration, registration());
    await waitFor(() => frozen.received.length > 0, { message: "the frozen controller asked" });
    quorum.elect(1);

    assert.equal((await sending).errorCode, ErrorCode.NONE);
    assert.equal(active.count("BrokerRegistration"), 1);
  });

  it("when the controller asked stops answering, then the request rejects at its own deadline, not at the request timeout", {
    timeout: 20_000,
  }, async (t) => {
    const frozen = await frozenVoter(t, 0);
    const channel = channelTo(t, [frozen.address], new TestQuorum(0), { retryBackoffMs: 10 });

    await assert.rejects(
      channel.send(Apis.BrokerRegistration, registration(), { timeoutMs: 200 }),
      (error: Error) =>
        error instanceof ControllerUnavailableError &&
        /controller 0: no answer before the deadline/.test(error.message),
    );
  });

  it("when closed, then requests reject with ControllerUnavailableError and its connections are gone", async (t) => {
    const node = await startControllerNode(t, { nodeId: 0 });
    const channel = channelTo(t, [node.address], new TestQuorum(0));
    await channel.send(Apis.BrokerRegistration, registration());

    channel.close();

    await assert.rejects(channel.send(Apis.BrokerRegistration, registration()), ControllerUnavailableError);
    assert.equal(node.count("BrokerRegistration"), 1);
    await waitFor(() => node.connections() === 0, { message: "the controller sees the connection closed" });
  });
});
