// What the fault test asks the cluster, over the wire as any tool would: which voter is the active
// controller (DescribeQuorum: only the Raft leader answers without error), and each partition's
// leader, replicas and ISR (Metadata). A broker that is paused or down does not answer within a
// short timeout and is left out; each question goes to every broker at once and takes the first
// good answer, so one frozen broker never stalls it.
//
// Ownership: a ClusterView owns one connection per broker, opened on first use and dropped (to be
// opened again) after any failure.
import { createLogger, logLevel } from "../../broker/client/logger.ts";
import { BrokerConnection } from "../../broker/client/network/broker-connection.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";

export interface PartitionView {
  partition: number;
  /** -1 while the partition has no leader. */
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface QuorumView {
  /** The Raft leader this voter knows of, -1 for none. */
  leaderId: number;
  epoch: number;
  /** Whether the answering voter is that leader. */
  isLeader: boolean;
}

const METADATA_TOPIC = "__cluster_metadata";
const quietLogger = createLogger(logLevel.NOTHING);

export class ClusterView {
  readonly #connections = new Map<number, BrokerConnection>();

  /** `addresses[id]` is broker id's `host:port` (a restarted broker comes back on the same one). */
  constructor(
    private readonly addresses: readonly string[],
    private readonly timeoutMs = 2000,
  ) {}

  get brokerIds(): number[] {
    return this.addresses.map((_, id) => id);
  }

  /** The voter that leads the controller quorum, as that voter itself says; null when none does. */
  async activeController(): Promise<number | null> {
    const answers = await Promise.all(this.brokerIds.map((id) => this.quorumAsSeenBy(id).catch(() => null)));
    const leader = answers.find((answer) => answer?.isLeader);
    return leader ? leader.leaderId : null;
  }

  /** DescribeQuorum as broker `nodeId` answers it: the leader it knows, or that it leads. */
  async quorumAsSeenBy(nodeId: number): Promise<QuorumView> {
    const response = await this.#request(nodeId, (c) =>
      c.request(Apis.DescribeQuorum, {
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
      }),
    );
    const partition = response.topics[0]?.partitions[0];
    if (response.errorCode !== ErrorCode.NONE || !partition) throw new Error(`DescribeQuorum refused by ${nodeId}`);
    return {
      leaderId: partition.leaderId,
      epoch: partition.leaderEpoch,
      isLeader: partition.errorCode === ErrorCode.NONE && partition.leaderId === nodeId,
    };
  }

  /** The topic's partitions as the first broker to answer (of `askIds`, default all) reports them, by index. */
  async partitions(topic: string, askIds: readonly number[] = this.brokerIds): Promise<PartitionView[]> {
    const answer = await firstOf(
      askIds.map(async (id) => {
        const metadata = await this.#request(id, (c) =>
          c.request(Apis.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false }),
        );
        const found = metadata.topics.find((t) => t.name === topic);
        if (!found || found.errorCode !== ErrorCode.NONE) throw new Error(`broker ${id} does not know ${topic}`);
        return found.partitions
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes }))
          .sort((a, b) => a.partition - b.partition);
      }),
    );
    if (answer === null) throw new Error(`no broker answered Metadata for ${topic}`);
    return answer;
  }

  /** The broker ids the first answering broker lists in Metadata (the registered, unfenced ones). */
  async registeredBrokers(): Promise<number[]> {
    const answer = await firstOf(
      this.brokerIds.map(async (id) => {
        const metadata = await this.#request(id, (c) =>
          c.request(Apis.Metadata, { topics: [], allowAutoTopicCreation: false }),
        );
        return metadata.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
      }),
    );
    if (answer === null) throw new Error("no broker answered Metadata");
    return answer;
  }

  close(): void {
    for (const connection of this.#connections.values()) connection.disconnect();
    this.#connections.clear();
  }

  async #request<T>(nodeId: number, send: (connection: BrokerConnection) => Promise<T>): Promise<T> {
    let connection = this.#connections.get(nodeId);
    if (!connection) {
      const [host, port] = this.addresses[nodeId]!.split(":");
      connection = new BrokerConnection({
        host: host!,
        port: Number(port),
        clientId: "fault-cluster-view",
        connectionTimeout: this.timeoutMs,
        requestTimeout: this.timeoutMs,
        logger: quietLogger,
      });
      this.#connections.set(nodeId, connection);
    }
    try {
      return await send(connection);
    } catch (error) {
      connection.disconnect();
      if (this.#connections.get(nodeId) === connection) this.#connections.delete(nodeId);
      throw error;
    }
  }
}

/** The first of `attempts` to resolve, or null once all have failed. */
function firstOf<T>(attempts: Promise<T>[]): Promise<T | null> {
  return new Promise((resolve) => {
    let failed = 0;
    for (const attempt of attempts) {
      attempt.then(resolve, () => {
        if (++failed === attempts.length) resolve(null);
      });
    }
    if (attempts.length === 0) resolve(null);
  });
}
