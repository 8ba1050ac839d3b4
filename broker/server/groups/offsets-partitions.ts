// Which partitions of `__consumer_offsets` this broker's group coordinator serves, and whether each
// is loaded (Kafka's onElection / onResignation, and the partition states of its CoordinatorRuntime);
// the transaction coordinator serves the partitions of `__transaction_state` by the same rules
// (transactions/transaction-partitions.ts):
// a partition led here is loaded — once everything its replica holds is committed — before its
// groups are served, COORDINATOR_LOAD_IN_PROGRESS meanwhile; one no longer led is unloaded and its
// groups get NOT_COORDINATOR. The coordinator's own lifecycle is kept here too, since it decides the
// same answers: before startup every request waits, once closed none is served.
//
// Ownership: an OffsetsPartitions owns the set of led partitions, each one's loaded flag and leader
// epoch, and the lifecycle. They change synchronously in onElection / onResignation / startup /
// close; the loading and unloading of one partition run one after another in that partition's own
// queue. What loading and unloading do to the groups is the coordinator's (the hooks).
import { ErrorCode } from "../../protocol/errors.ts";
import type { Logger } from "../logger.ts";
import { KeyedSerialQueue } from "./serial-queue.ts";
import type { KafkaErrorCode } from "./types.ts";

/** Before startup every request waits (COORDINATOR_LOAD_IN_PROGRESS); once closed, none is served. */
type Lifecycle = "starting" | "running" | "closed";

/** A `__consumer_offsets` partition this broker leads; its groups are served once it is loaded. */
export interface LedPartition {
  leaderEpoch: number;
  loaded: boolean;
}

export interface OffsetsPartitionHooks {
  /** Resolves once what the partition's replica holds is committed (false: it never will be here). */
  awaitLoadable(partition: number): Promise<boolean>;
  /** Loads the partition's groups; says how many of what it found (e.g. groups and offsets). */
  load(partition: number): Record<string, number>;
  /** Unloads the partition's groups; says how many there were. */
  unload(partition: number): Promise<number>;
  now(): number;
  log: Logger;
  /** Who serves the partitions, as the log says it; "group coordinator" when absent. */
  name?: string;
}

export class OffsetsPartitions {
  private readonly led = new Map<number, LedPartition>();
  private readonly queues = new KeyedSerialQueue<number>();
  private lifecycle: Lifecycle = "starting";

  constructor(private readonly hooks: OffsetsPartitionHooks) {}

  private get name(): string {
    return this.hooks.name ?? "group coordinator";
  }

  get starting(): boolean {
    return this.lifecycle === "starting";
  }

  /** Starts serving, and resolves once the partitions led now are loaded (rejects if one cannot be read). */
  async startup(): Promise<void> {
    if (this.lifecycle !== "starting") throw new Error(`${this.name} cannot start while ${this.lifecycle}`);
    this.lifecycle = "running";
    await Promise.all([...this.led].map(([partition, led]) => this.scheduleLoad(partition, led)));
  }

  /** From now on every request gets NOT_COORDINATOR; false when it was closed already. */
  close(): boolean {
    if (this.lifecycle === "closed") return false;
    this.lifecycle = "closed";
    return true;
  }

  /**
   * This broker now leads `partition` at `leaderEpoch`: its groups load (once running) and are
   * served when loaded. A newer epoch of a partition led already only moves the epoch, as Kafka
   * does: what is loaded stays valid.
   */
  onElection(partition: number, leaderEpoch: number): void {
    if (this.lifecycle === "closed") return;
    const current = this.led.get(partition);
    if (current !== undefined) {
      current.leaderEpoch = Math.max(current.leaderEpoch, leaderEpoch);
      return;
    }
    const led: LedPartition = { leaderEpoch, loaded: false };
    this.led.set(partition, led);
    if (this.lifecycle === "running") {
      this.scheduleLoad(partition, led).catch((error: unknown) =>
        this.hooks.log.error(`${this.name} could not load a partition`, {
          partition,
          leaderEpoch,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }

  /**
   * This broker no longer leads `partition` (it follows another leader at `leaderEpoch`, or its
   * replica is gone: no epoch). Its groups get NOT_COORDINATOR from now on and are unloaded. News
   * older than the epoch led is ignored, as Kafka compares epochs.
   */
  onResignation(partition: number, leaderEpoch?: number): void {
    const current = this.led.get(partition);
    if (current === undefined) return;
    if (leaderEpoch !== undefined && leaderEpoch < current.leaderEpoch) return;
    this.led.delete(partition);
    if (this.lifecycle !== "running") return;
    this.queues
      .run(partition, async () => {
        const groups = await this.hooks.unload(partition);
        if (current.loaded)
          this.hooks.log.info(`${this.name} unloaded a partition`, {
            partition,
            leaderEpoch: current.leaderEpoch,
            groups,
          });
      })
      .catch((error: unknown) =>
        this.hooks.log.error(`${this.name} could not unload a partition`, {
          partition,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
  }

  /** The partitions led here, and whether each is loaded (for diagnostics and tests). */
  ledPartitions(): { partition: number; leaderEpoch: number; loaded: boolean }[] {
    return [...this.led]
      .map(([partition, led]) => ({ partition, ...led }))
      .sort((left, right) => left.partition - right.partition);
  }

  /** The leader epoch a partition is led at here (the transaction coordinator's epoch); undefined when not led. */
  leaderEpochOf(partition: number): number | undefined {
    return this.led.get(partition)?.leaderEpoch;
  }

  /** Whether a partition led here is still loading. */
  get anyLoading(): boolean {
    return [...this.led.values()].some((led) => !led.loaded);
  }

  /** Why the coordinator as a whole cannot serve now, NONE when it can. */
  lifecycleError(): KafkaErrorCode {
    switch (this.lifecycle) {
      case "starting":
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case "closed":
        return ErrorCode.NOT_COORDINATOR;
      case "running":
        return ErrorCode.NONE;
    }
  }

  /** Why the groups of `partition` cannot be served now (not led, or still loading), NONE when they can. */
  partitionError(partition: number): KafkaErrorCode {
    const led = this.led.get(partition);
    if (led === undefined) return ErrorCode.NOT_COORDINATOR;
    return led.loaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  /**
   * Loads a partition led here, in its partition queue (after an unload queued before): once what
   * its replica holds is committed, unless the partition was given up meanwhile.
   */
  private scheduleLoad(partition: number, led: LedPartition): Promise<void> {
    return this.queues.run(partition, async () => {
      const startedAt = this.hooks.now();
      const loadable = await this.hooks.awaitLoadable(partition);
      // Given up meanwhile: its unload is queued behind this; a new election brings a new LedPartition.
      if (!loadable || this.led.get(partition) !== led || this.lifecycle !== "running") return;
      const loaded = this.hooks.load(partition);
      led.loaded = true;
      // Every partition a broker leads loads when it starts: only those with something in them are news.
      this.hooks.log[Object.values(loaded).some((count) => count > 0) ? "info" : "debug"](
        `${this.name} loaded a partition`,
        { partition, leaderEpoch: led.leaderEpoch, ...loaded, ms: this.hooks.now() - startedAt },
      );
    });
  }
}
