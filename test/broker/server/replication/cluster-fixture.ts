// In-process brokers for the replication tests: each has a ReplicaManager over real logs in a temp
// dir and serves the real request router on a TCP port 0, so followers fetch, truncate and list
// offsets through the real handlers and the real client connection. A stand-in controller holds
// the metadata image, publishes it to every running broker and applies AlterPartition proposals
// as Kafka's controller does (partition epoch check, epoch bump), immediately or when the test
// releases them. Time for the ISR rules is a hand clock.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { Connection } from "../../../../broker/server/connection.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import {
  type BrokerRegistration,
  MetadataImage,
  type PartitionRegistration,
  type TopicImage,
  topicIdKey,
} from "../../../../broker/server/metadata/metadata-image.ts";
import type {
  AlterPartitionProposal,
  AlterPartitionResult,
} from "../../../../broker/server/replication/partition-state.ts";
import { ReplicaManager, type ReplicaManagerOptions } from "../../../../broker/server/replication/replica-manager.ts";
import { createRequestRouter } from "../../../../broker/server/request-router.ts";
import { nodeFileSystem } from "../../../../broker/storage/file-system.ts";
import { PartitionLog } from "../../../../broker/storage/partition-log.ts";

export interface HandClock {
  now: number;
  (): number;
}

export function handClock(start = 1_000_000): HandClock {
  const clock = (() => clock.now) as HandClock;
  clock.now = start;
  return clock;
}

export class TestBroker {
  readonly dataDir: string;
  manager: ReplicaManager | null = null;
  server: Server | null = null;
  port = 0;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly id: number,
    private readonly cluster: TestCluster,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `replication-broker-${id}-`));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get replicas(): ReplicaManager {
    if (!this.manager) throw new Error(`broker ${this.id} is stopped`);
    return this.manager;
  }

  /** Opens the logs in its data dir again and serves on a port (the same one when restarted). */
  async start(): Promise<void> {
    const manager = new ReplicaManager({
      localBrokerId: this.id,
      openLog: (topic, partition) => ({
        log: PartitionLog.open(nodeFileSystem, join(this.dataDir, `${topic.name}-${partition}`)),
        maxMessageBytes: 1_000_000,
      }),
      alterPartition: { submit: (proposal) => this.cluster.controller.alterPartition(proposal) },
      clock: this.cluster.clock,
      replicaLagTimeMaxMs: 30_000,
      requestTimeoutMs: 5_000,
      fetcher: { maxWaitMs: 50, backoffMs: 20 },
      log: silentLogger,
      ...this.cluster.managerOptions,
    });
    const state = {
      log: silentLogger,
      // Produce and Metadata ask whether a topic exists before they create one.
      cluster: { topic: (name: string) => this.cluster.controller.image.topic(name) },
      topics: {
        awaitCreation: async () => {},
        partition: (topic: string, index: number) => manager.partition(topic, index),
        autoCreate: (name: string) =>
          this.cluster.controller.image.topic(name) ?? {
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `no topic ${name}`,
          },
      },
    } as unknown as BrokerState;
    const route = createRequestRouter(state);
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      new Connection(socket, route, 100 * 1024 * 1024, silentLogger);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    const bound = server.address();
    if (bound === null || typeof bound === "string") throw new Error("no TCP address");
    this.port = bound.port;
    this.server = server;
    this.manager = manager;
    this.cluster.controller.register(this.id, this.port);
    manager.applyImage(this.cluster.controller.image);
  }

  /** Stops serving and closes the logs, as a broker process that exits. */
  async stop(): Promise<void> {
    const server = this.server;
    const manager = this.manager;
    this.server = null;
    this.manager = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await manager?.stop();
  }
}

interface HeldProposal {
  proposal: AlterPartitionProposal;
  resolve: (result: AlterPartitionResult) => void;
}

/** Kafka's controller, reduced to what replication needs: the image, and AlterPartition. */
export class TestController {
  image: MetadataImage = MetadataImage.EMPTY;
  readonly proposals: AlterPartitionProposal[] = [];
  /** When true, AlterPartition waits for release() (the ISR stays pending on the leader). */
  hold = false;
  readonly #held: HeldProposal[] = [];

  constructor(private readonly brokers: () => TestBroker[]) {}

  register(id: number, port: number): void {
    const registration: BrokerRegistration = {
      id,
      epoch: BigInt(id + 1),
      incarnationId: Buffer.alloc(16, id),
      endpoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port, securityProtocol: 0 }],
      host: "127.0.0.1",
      port,
      rack: null,
      fenced: false,
      inControlledShutdown: false,
      registrationOffset: 0n,
    };
    this.#replace({ brokers: new Map([...this.image.brokers, [id, registration]]) });
  }

  setFenced(id: number, fenced: boolean): void {
    const current = this.image.broker(id);
    if (!current) throw new Error(`broker ${id} not registered`);
    this.#replace({ brokers: new Map([...this.image.brokers, [id, { ...current, fenced }]]) });
    this.publish();
  }

  createTopic(name: string, assignments: number[][], configs: Record<string, string> = {}): TopicImage {
    const topic: TopicImage = {
      name,
      topicId: Buffer.from(name.padEnd(16, "-").slice(0, 16)),
      partitions: assignments.map((replicas, partition) => ({
        partition,
        replicas,
        isr: replicas,
        leader: replicas[0]!,
        leaderEpoch: 0,
        partitionEpoch: 0,
      })),
    };
    this.#putTopic(topic, new Map(Object.entries(configs)));
    this.publish();
    return topic;
  }

  deleteTopic(name: string): void {
    const topic = this.image.topic(name);
    if (!topic) return;
    const topicsByName = new Map(this.image.topicsByName);
    topicsByName.delete(name);
    const topicsById = new Map(this.image.topicsById);
    topicsById.delete(topicIdKey(topic.topicId));
    this.#replace({ topicsByName, topicsById });
    this.publish();
  }

  /** Changes a partition as a PartitionChangeRecord would: a new leader bumps the leader epoch. */
  changePartition(
    topic: string,
    partition: number,
    change: Partial<Pick<PartitionRegistration, "leader" | "isr">>,
  ): void {
    const current = this.partition(topic, partition);
    const leaderChanged = change.leader !== undefined && change.leader !== current.leader;
    this.#putPartition(topic, {
      ...current,
      ...change,
      leaderEpoch: current.leaderEpoch + (leaderChanged ? 1 : 0),
      partitionEpoch: current.partitionEpoch + 1,
    });
    this.publish();
  }

  partition(topic: string, partition: number): PartitionRegistration {
    const found = this.image.partition(topic, partition);
    if (!found) throw new Error(`no partition ${topic}-${partition}`);
    return found;
  }

  /** Every running broker applies the current image. */
  publish(): void {
    for (const broker of this.brokers()) broker.manager?.applyImage(this.image);
  }

  alterPartition(proposal: AlterPartitionProposal): Promise<AlterPartitionResult> {
    this.proposals.push(proposal);
    if (!this.hold) return Promise.resolve(this.#apply(proposal));
    return new Promise((resolve) => this.#held.push({ proposal, resolve }));
  }

  /** Applies the held proposals; `answer` false leaves their leaders without a response (they learn from the image). */
  release(answer = true): void {
    for (const { proposal, resolve } of this.#held.splice(0)) {
      const result = this.#apply(proposal);
      if (answer) resolve(result);
    }
  }

  #apply(proposal: AlterPartitionProposal): AlterPartitionResult {
    const current = this.image.partition(proposal.topic, proposal.partition);
    if (!current) return { kind: "error", errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (proposal.leaderEpoch !== current.leaderEpoch)
      return { kind: "error", errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    if (proposal.partitionEpoch !== current.partitionEpoch)
      return { kind: "error", errorCode: ErrorCode.INVALID_UPDATE_VERSION };
    const updated = { ...current, isr: [...proposal.newIsr], partitionEpoch: current.partitionEpoch + 1 };
    this.#putPartition(proposal.topic, updated);
    this.publish();
    return {
      kind: "updated",
      leaderEpoch: updated.leaderEpoch,
      partitionEpoch: updated.partitionEpoch,
      isr: updated.isr,
    };
  }

  #putPartition(name: string, registration: PartitionRegistration): void {
    const topic = this.image.topic(name)!;
    const partitions = [...topic.partitions];
    partitions[registration.partition] = registration;
    this.#putTopic({ ...topic, partitions }, this.image.topicConfigs.get(name) ?? new Map());
  }

  #putTopic(topic: TopicImage, configs: ReadonlyMap<string, string>): void {
    this.#replace({
      topicsByName: new Map([...this.image.topicsByName, [topic.name, topic]]),
      topicsById: new Map([...this.image.topicsById, [topicIdKey(topic.topicId), topic]]),
      topicConfigs: new Map([...this.image.topicConfigs, [topic.name, configs]]),
    });
  }

  #replace(fields: Partial<ReturnType<MetadataImage["fields"]>>): void {
    this.image = new MetadataImage({ ...this.image.fields(), ...fields });
  }
}

export class TestCluster {
  readonly clock = handClock();
  readonly brokers: TestBroker[] = [];
  readonly controller = new TestController(() => this.brokers);

  constructor(readonly managerOptions: Partial<ReplicaManagerOptions> = {}) {}

  broker(id: number): TestBroker {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new Error(`no broker ${id}`);
    return broker;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop()));
  }
}

/** `count` running brokers (ids 0..count-1), stopped and removed with their data after the test. */
export async function startCluster(
  t: TestContext,
  count: number,
  managerOptions: Partial<ReplicaManagerOptions> = {},
): Promise<TestCluster> {
  const cluster = new TestCluster(managerOptions);
  for (let id = 0; id < count; id++) cluster.brokers.push(new TestBroker(id, cluster));
  t.after(async () => {
    await cluster.stopAll();
    for (const broker of cluster.brokers) rmSync(broker.dataDir, { recursive: true, force: true });
  });
  for (const broker of cluster.brokers) await broker.start();
  // Every broker learns every other's address.
  cluster.controller.publish();
  return cluster;
}
