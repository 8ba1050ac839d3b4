// Reads every broker's admin listener (broker/server/admin/, `--admin-port`) once a second: who it
// is, the partitions it hosts, the groups it coordinates and the quorum as it sees it. A broker that
// does not answer within the timeout counts as not answering (down, or paused: the console knows
// which). Listeners get each round's readings: the cluster view and the group lag are built on them.
//
// Ownership: the AdminPoller owns the latest reading of each broker and its polling timer.
import type {
  BrokerInfo,
  CoordinatedGroup,
  HostedPartition,
  QuorumInfo,
} from "../../broker/server/admin/admin-types.ts";

/** A broker the console knows of from the start command. */
export interface ConsoleBroker {
  nodeId: number;
  /** The Supervisor's label of its process; null when the console did not start it. */
  label: string | null;
  /** host:port of its Kafka listener. */
  listener: string;
  /** http://host:port of its admin listener; null without one. */
  admin: string | null;
}

export interface BrokerReading {
  broker: ConsoleBroker;
  /** When the round that read it started (ms since the epoch). */
  at: number;
  /** Whether /v1/broker answered in time. */
  answered: boolean;
  info: BrokerInfo | null;
  partitions: HostedPartition[];
  groups: CoordinatedGroup[];
  quorum: QuorumInfo | null;
}

export interface AdminPollerOptions {
  /** Default 1000 ms. */
  intervalMs?: number;
  /** Per request; default 800 ms, under the interval, so a hung broker does not stack rounds. */
  timeoutMs?: number;
  now?: () => number;
}

/** GET `url` as JSON, or null when it fails, answers non-2xx or takes longer than `timeoutMs`. */
export async function getJson<T>(url: string, timeoutMs: number): Promise<T | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return (await response.json()) as T;
  } catch {
    return null;
  }
}

/** A list answered bare or wrapped as `{ [key]: [...] }`. */
function listIn<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const wrapped = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(wrapped) ? (wrapped as T[]) : [];
}

export class AdminPoller {
  private readings: BrokerReading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<BrokerReading[]> | undefined;
  private readonly listeners = new Set<(readings: BrokerReading[]) => void | Promise<void>>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly brokers: readonly ConsoleBroker[],
    options: AdminPollerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 800;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    const tick = async (): Promise<void> => {
      await this.poll();
      if (this.timer) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Each round's readings, once the round is over; a listener that fails is not retried. */
  onRound(listener: (readings: BrokerReading[]) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last round's readings; before the first round is over, that round's. */
  async latest(): Promise<BrokerReading[]> {
    if (this.readings.length === 0 && this.brokers.length > 0) return this.poll();
    return this.readings;
  }

  /** One round now (concurrent callers share it). */
  poll(): Promise<BrokerReading[]> {
    this.round ??= this.readAll().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async readAll(): Promise<BrokerReading[]> {
    const at = this.now();
    const readings = await Promise.all(this.brokers.map((broker) => this.read(broker, at)));
    this.readings = readings;
    for (const listener of this.listeners) {
      try {
        await listener(readings);
      } catch {
        // A listener's trouble is its own; the next round comes anyway.
      }
    }
    return readings;
  }

  private async read(broker: ConsoleBroker, at: number): Promise<BrokerReading> {
    const none: BrokerReading = { broker, at, answered: false, info: null, partitions: [], groups: [], quorum: null };
    if (broker.admin === null) return none;
    const get = <T>(path: string) => getJson<T>(`${broker.admin}${path}`, this.timeoutMs);
    const [info, partitions, groups, quorum] = await Promise.all([
      get<BrokerInfo>("/v1/broker"),
      get<unknown>("/v1/partitions"),
      get<unknown>("/v1/groups"),
      get<QuorumInfo>("/v1/quorum"),
    ]);
    if (info === null) return none;
    return {
      broker,
      at,
      answered: true,
      info,
      partitions: listIn<HostedPartition>(partitions, "partitions"),
      groups: listIn<CoordinatedGroup>(groups, "groups"),
      quorum,
    };
  }
}
