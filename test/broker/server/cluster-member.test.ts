// A broker as a member of a KRaft cluster, in-process on real sockets and real files: members built
// by createClusterMember and served by the real request router, as broker.ts serves them. A lone voter
// is its own quorum and controller; three voters elect one controller, and every member hosts the
// replicas the metadata gives it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import type { BrokerState } from "../../../broker/server/broker-state.ts";
import { type ClusterMember, createClusterMember } from "../../../broker/server/cluster-member.ts";
import { parseArgs } from "../../../broker/server/config.ts";
import { Connection } from "../../../broker/server/connection.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { nodeFileSystem } from "../../../broker/storage/file-system.ts";
import { createTopicsRequest, produceRequest } from "../../helpers/requests.ts";
import { waitFor } from "../../helpers/wait.ts";
import { WireClient } from "../../helpers/wire-client.ts";

/** Quick Raft and heartbeat timings, so elections and unfencing do not keep a test waiting. */
const quickCluster = {
  "controller.quorum.election.timeout.ms": "300",
  "controller.quorum.fetch.timeout.ms": "600",
  "controller.quorum.election.backoff.max.ms": "300",
  "broker.heartbeat.interval.ms": "100",
  // Also how long a stopping member waits for the controller to let it go (the last ones cannot be).
  "broker.session.timeout.ms": "2000",
};

/** A listening socket for node `nodeId`, before its member exists (the voters must name its port). */
class Node {
  member: ClusterMember | null = null;
  server: Server | null = null;
  port = 0;
  readonly #sockets = new Set<Socket>();
  /** The router of the current member (a restarted node gets a new one). */
  #route: ReturnType<typeof createRequestRouter> | null = null;
  #config: ReturnType<typeof parseArgs> | null = null;

  constructor(
    readonly nodeId: number,
    readonly dataDir: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      new Connection(
        socket,
        (frame, connection) => {
          this.#route ??= createRequestRouter(this.state());
          return this.#route(frame, connection);
        },
        100 * 1024 * 1024,
        silentLogger,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Builds its member (the quorum named by `voters`) and starts it; resolves once it is unfenced. */
  async start(voters: string, props: Record<string, string> = {}): Promise<ClusterMember> {
    const config = parseArgs([
      "--node-id",
      String(this.nodeId),
      "--data-dir",
      this.dataDir,
      "--controller-quorum",
      voters,
      ...Object.entries({ ...quickCluster, ...props }).flatMap(([key, value]) => ["--config", `${key}=${value}`]),
    ]);
    const member = createClusterMember(config, { host: "127.0.0.1", port: this.port }, nodeFileSystem, silentLogger);
    this.member = member;
    this.#config = config;
    this.#route = null;
    await member.start();
    return member;
  }

  /** What the handlers see, as broker.ts assembles it (no group coordinator: no group request is sent here). */
  state(): BrokerState {
    const member = this.member!;
    return {
      config: this.#config!,
      kraft: member,
      raft: member.raft,
      cluster: member.view,
      topics: member.topics,
      log: silentLogger,
    } as unknown as BrokerState;
  }

  async stop(): Promise<void> {
    const { member, server } = this;
    this.member = null;
    this.server = null;
    await member?.stop();
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** `count` listening nodes with their data dirs, stopped and removed after the test. */
async function nodes(t: TestContext, count: number): Promise<{ nodes: Node[]; voters: string }> {
  const all: Node[] = [];
  for (let id = 0; id < count; id++) {
    const node = new Node(id, mkdtempSync(join(tmpdir(), `cluster-member-${id}-`)));
    await node.listen();
    all.push(node);
  }
  t.after(async () => {
    await Promise.all(all.map((node) => node.stop()));
    for (const node of all) rmSync(node.dataDir, { recursive: true, force: true });
  });
  return { nodes: all, voters: all.map((node) => `${node.nodeId}@127.0.0.1:${node.port}`).join(",") };
}

async function clientOf(t: TestContext, node: Node): Promise<WireClient> {
  const client = await WireClient.connect(node.address);
  t.after(() => client.close());
  return client;
}

const produceOne = (client: WireClient, topic: string, value: string) =>
  client.request(
    Apis.Produce,
    7,
    produceRequest(topic, [
      { index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: 1n }] }) },
    ]),
  );

describe("createClusterMember", () => {
  it("when a lone voter starts, then it leads its quorum, its controller is active, and it serves registered and unfenced", async (t) => {
    const {
      nodes: [node],
      voters,
    } = await nodes(t, 1);
    const member = await node!.start(voters);

    assert.equal(member.raft.isLeader, true);
    assert.equal(member.controller?.isActive, true);
    assert.equal(member.lifecycle.phase, "running");
    assert.equal(member.loader.image.broker(0)?.fenced, false);
    const client = await clientOf(t, node!);
    const metadata = await client.request(Apis.Metadata, 6, { topics: [], allowAutoTopicCreation: false });
    assert.deepEqual(
      metadata.brokers.map((b) => [b.nodeId, b.host, b.port]),
      [[0, "127.0.0.1", node!.port]],
    );
    assert.equal(metadata.controllerId, 0);
    assert.equal(metadata.clusterId, member.clusterId);
  });

  it("when a topic is created through it, then the controller places it here, it leads the partition, and producers get ids from the controller's block", async (t) => {
    const {
      nodes: [node],
      voters,
    } = await nodes(t, 1);
    const member = await node!.start(voters);
    const client = await clientOf(t, node!);

    const created = await client.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([{ name: "orders", numPartitions: 2 }]),
    );
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      member.view.topic("orders")!.partitions.map((p) => p.leader),
      [0, 0],
      "answered once committed and applied here",
    );
    await waitFor(() => member.topics.partition("orders", 1) !== undefined, { message: "the replicas are opened" });

    const produced = await produceOne(client, "orders", "first");
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    const producer = await client.request(Apis.InitProducerId, 1, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(producer.errorCode, ErrorCode.NONE);
    assert.equal(member.loader.image.nextProducerId, producer.producerId! + 1000n, "from a block of 1000");
  });

  it("when stopped and started again on its data dir, then it is the same cluster with the same topics and records", async (t) => {
    const {
      nodes: [node],
      voters,
    } = await nodes(t, 1);
    const first = await node!.start(voters);
    const client = await clientOf(t, node!);
    await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "orders", numPartitions: 1 }]));
    await waitFor(() => first.topics.partition("orders", 0) !== undefined, { message: "the replica is opened" });
    await produceOne(client, "orders", "kept");
    await first.stop();
    node!.member = null;

    const again = await node!.start(voters);

    assert.equal(again.clusterId, first.clusterId);
    assert.equal(again.view.topic("orders")?.topicId.equals(first.view.topic("orders")!.topicId), true);
    await waitFor(() => again.topics.partition("orders", 0) !== undefined, { message: "the replica is opened again" });
    assert.equal(again.topics.partition("orders", 0)!.log.logEndOffset, 1n);
  });

  it("when three voters start, then one controller is elected, all serve, and a topic asked of a non-controller gets its replicas on all three", async (t) => {
    const { nodes: three, voters } = await nodes(t, 3);
    const members = await Promise.all(three.map((node) => node.start(voters)));

    assert.equal(members.filter((m) => m.controller?.isActive).length, 1);
    const controllerId = members.findIndex((m) => m.controller?.isActive);
    for (const member of members) {
      await waitFor(() => member.view.brokers.length === 3, { message: "every member sees three brokers" });
      assert.equal(member.view.controllerId, controllerId);
    }
    const asked = three.find((node) => node.nodeId !== controllerId)!;
    const client = await clientOf(t, asked);

    const created = await client.request(Apis.CreateTopics, 4, {
      topics: [{ name: "orders", numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });

    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    for (const member of members) {
      await waitFor(() => member.topics.partition("orders", 0) !== undefined, { message: "each hosts a replica" });
      assert.deepEqual([...member.view.topic("orders")!.partitions[0]!.replicas].sort(), [0, 1, 2]);
    }
  });
});
