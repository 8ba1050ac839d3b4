// Which replica fetcher fetches which partition (Kafka's ReplicaFetcherManager): one fetcher per
// leader broker address, made when a first partition needs it and stopped once it has none left.
//
// Ownership: the manager owns its fetchers and the partition → fetcher assignment; the replica
// manager tells it what to fetch from where.
import type { Logger } from "../logger.ts";
import type { LeaderAddress, LeaderEndpoint } from "./leader-endpoint.ts";
import { type FetcherSettings, type InitialFetchState, type LocalReplicas, ReplicaFetcher } from "./replica-fetcher.ts";

const addressKey = (leader: LeaderAddress): string => `${leader.brokerId}@${leader.host}:${leader.port}`;
const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcherManager {
  readonly #fetchers = new Map<string, ReplicaFetcher>();
  /** Partition key → the fetcher key it is fetched by. */
  readonly #assignment = new Map<string, string>();

  constructor(
    private readonly localBrokerId: number,
    private readonly replicas: LocalReplicas,
    private readonly endpointFor: (leader: LeaderAddress) => LeaderEndpoint,
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {}

  /** Fetches each partition from its leader, starting over (truncation first) as the fetcher does for a new epoch. */
  addPartitions(leader: LeaderAddress, partitions: readonly InitialFetchState[]): void {
    if (partitions.length === 0) return;
    const key = addressKey(leader);
    this.removePartitions(partitions.filter((p) => this.#assignment.get(partitionKey(p.topic, p.partition)) !== key));
    let fetcher = this.#fetchers.get(key);
    if (!fetcher) {
      fetcher = new ReplicaFetcher(
        this.localBrokerId,
        this.endpointFor(leader),
        this.replicas,
        this.settings,
        this.log,
      );
      this.#fetchers.set(key, fetcher);
      fetcher.start();
    }
    fetcher.addPartitions(partitions);
    for (const p of partitions) this.#assignment.set(partitionKey(p.topic, p.partition), key);
  }

  removePartitions(partitions: readonly { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      const fetcherKey = this.#assignment.get(key);
      if (fetcherKey === undefined) continue;
      this.#assignment.delete(key);
      this.#fetchers.get(fetcherKey)?.removePartitions([p]);
    }
  }

  /** The fetcher of a partition, for tests and diagnostics. */
  fetcherOf(topic: string, partition: number): ReplicaFetcher | undefined {
    const fetcherKey = this.#assignment.get(partitionKey(topic, partition));
    return fetcherKey === undefined ? undefined : this.#fetchers.get(fetcherKey);
  }

  get fetcherCount(): number {
    return this.#fetchers.size;
  }

  /** Stops the fetchers left without partitions. */
  async shutdownIdleFetchers(): Promise<void> {
    const idle = [...this.#fetchers].filter(([, fetcher]) => fetcher.partitionCount === 0);
    for (const [key] of idle) this.#fetchers.delete(key);
    await Promise.all(idle.map(([, fetcher]) => fetcher.stop()));
  }

  async shutdown(): Promise<void> {
    const all = [...this.#fetchers.values()];
    this.#fetchers.clear();
    this.#assignment.clear();
    await Promise.all(all.map((fetcher) => fetcher.stop()));
  }
}
