// One partition on a real log in a temp dir, with everything around its PartitionState in the
// test's hands: the clock, the timers of delayed operations, and the controller's answers to
// AlterPartition (recorded, answered when the test says); or one led by this broker alone, as a
// lone broker leads each of its partitions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { FetchExpiry } from "../../../../broker/server/fetch/delayed-fetch.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { Partition } from "../../../../broker/server/partition.ts";
import type { ReplicaRead } from "../../../../broker/server/replication/fetch-records.ts";
import {
  type AlterPartitionProposal,
  type AlterPartitionResult,
  type AlterPartitionSender,
  PartitionState,
} from "../../../../broker/server/replication/partition-state.ts";
import { type FileSystem, nodeFileSystem } from "../../../../broker/storage/file-system.ts";
import type { LogConfig } from "../../../../broker/storage/log-config.ts";
import { PartitionLog } from "../../../../broker/storage/partition-log.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { type HandClock, handClock } from "./cluster-fixture.ts";

/** Timers that fire only when the test says so. */
export class HandTimers implements FetchExpiry {
  readonly started: { delayMs: number; onExpire: () => void; cancelled: boolean; fired: boolean }[] = [];

  start(delayMs: number, onExpire: () => void): () => void {
    const entry = { delayMs, onExpire, cancelled: false, fired: false };
    this.started.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  fireAll(): void {
    for (const entry of this.started.splice(0)) {
      if (entry.cancelled || entry.fired) continue;
      entry.fired = true;
      entry.onExpire();
    }
  }

  get running(): number {
    return this.started.filter((entry) => !entry.cancelled && !entry.fired).length;
  }
}

/** AlterPartition proposals kept until the test answers them. */
export class RecordingSender implements AlterPartitionSender {
  readonly sent: { proposal: AlterPartitionProposal; answer: (result: AlterPartitionResult) => void }[] = [];

  submit(proposal: AlterPartitionProposal): Promise<AlterPartitionResult> {
    return new Promise((resolve) => this.sent.push({ proposal, answer: resolve }));
  }

  get last(): AlterPartitionProposal | undefined {
    return this.sent.at(-1)?.proposal;
  }

  /** Answers the last proposal as the controller would when it accepts it. */
  accept(): AlterPartitionProposal {
    const last = this.sent.at(-1);
    if (!last) throw new Error("nothing was proposed");
    const { proposal } = last;
    last.answer({
      kind: "updated",
      leaderEpoch: proposal.leaderEpoch,
      partitionEpoch: proposal.partitionEpoch + 1,
      isr: proposal.newIsr,
    });
    return proposal;
  }
}

export interface ReplicatedPartition {
  partition: Partition;
  state: PartitionState;
  clock: HandClock;
  timers: HandTimers;
  sender: RecordingSender;
  /** Brokers that may not join an ISR (fenced or shutting down). */
  ineligible: Set<number>;
  dir: string;
}

export const LAG_TIME_MS = 30_000;

export interface PartitionOptions {
  localBrokerId?: number;
  minInsyncReplicas?: number;
  /** The log's directory, kept after the test; a temp dir removed after it when not given. */
  dir?: string;
  topic?: string;
  index?: number;
  maxMessageBytes?: number;
  /** What the log's files are reached through; the real disk when not given. */
  fs?: FileSystem;
  /** flush.messages and the log's other settings; the defaults when not given. */
  logConfig?: Partial<LogConfig>;
}

/** Partition `index` (0) of `topic` (`sales`) hosted on `localBrokerId`, not yet leader or follower. */
export function replicatedPartition(
  t: TestContext,
  {
    localBrokerId = 0,
    minInsyncReplicas = 1,
    dir,
    topic = "sales",
    index = 0,
    maxMessageBytes = 1_000_000,
    fs = nodeFileSystem,
    logConfig = {},
  }: PartitionOptions = {},
): ReplicatedPartition {
  const logDir = dir ?? mkdtempSync(join(tmpdir(), "partition-state-"));
  const log = PartitionLog.open(fs, logDir, logConfig);
  t.after(() => {
    log.close();
    if (!dir) rmSync(logDir, { recursive: true, force: true });
  });
  const clock = handClock();
  const timers = new HandTimers();
  const sender = new RecordingSender();
  const ineligible = new Set<number>();
  let state: PartitionState | undefined;
  const partition = new Partition(topic, index, log, maxMessageBytes, (p) => {
    state = new PartitionState(
      p,
      Buffer.alloc(16, 7),
      {
        localBrokerId,
        clock,
        replicaLagTimeMaxMs: LAG_TIME_MS,
        alterPartition: sender,
        isReplicaIsrEligible: (id) => !ineligible.has(id),
        timers,
        log: silentLogger,
      },
      minInsyncReplicas,
    );
    return state;
  });
  return { partition, state: state!, clock, timers, sender, ineligible, dir: logDir };
}

/**
 * A partition led by its broker alone (replicas and ISR: itself, leader epoch 0), as a lone broker
 * leads each of its partitions: what its leader appends is committed at once, so the high
 * watermark follows the log end.
 */
export function leaderAlone(t: TestContext, options: PartitionOptions = {}): ReplicatedPartition {
  const alone = replicatedPartition(t, options);
  const self = options.localBrokerId ?? 0;
  alone.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [self], isr: [self] });
  return alone;
}

/** A batch of `count` 10-byte records. */
export const records = (count = 1): Buffer => batchOfSize(count, 10);

/** Lets promise callbacks (AlterPartition answers) run. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A follower's fetch of the partition as the fetch path passes it (no epoch unless given). */
export function followerFetch(replicaId: number, fetchOffset: bigint, more: Partial<ReplicaRead> = {}): ReplicaRead {
  return {
    replicaId,
    fetchOffset,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
    followerLogStartOffset: 0n,
    maxBytes: 1 << 20,
    minOneBatch: true,
    fetchOnlyLeader: true,
    updateFetchState: true,
    ...more,
  };
}

/** A consumer's fetch of the partition, leader only unless told otherwise. */
export const consumerFetch = (fetchOffset: bigint, more: Partial<ReplicaRead> = {}): ReplicaRead =>
  followerFetch(-1, fetchOffset, more);
