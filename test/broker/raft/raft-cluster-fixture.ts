// A Raft quorum in one process for the raft tests: RaftNodes on real log files (fsync skipped, so
// runs are fast; a crash closes the files as a killed process would), a fake clock that the test
// drives, and a simulated network with latencies, cut links and dropped messages. Every message
// goes through the real codec (encoded and decoded at the version the real channel uses), so the
// nodes see exactly what the wire would give them. All randomness comes from one seed: a run
// replays exactly.
//
// Ownership: a RaftTestCluster owns its scheduler, network, nodes and scratch directory; the test
// that makes it drives it from its one async flow.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { Reader } from "../../../broker/protocol/primitives.ts";
import { decode, encode, type MessageSchema } from "../../../broker/protocol/schema.ts";
import { defaultRaftTimings, type RaftConfig } from "../../../broker/raft/quorum-config.ts";
import type { CommittedBatch } from "../../../broker/raft/raft-batches.ts";
import type { RaftApi, RaftChannel, RaftMessages } from "../../../broker/raft/raft-channel.ts";
import { METADATA_LOG_DIR_NAME } from "../../../broker/raft/raft-log.ts";
import { NotLeaderError, RaftNode } from "../../../broker/raft/raft-node.ts";
import type { Scheduler, Timer } from "../../../broker/server/groups/scheduler.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { type FileHandle, type FileSystem, nodeFileSystem } from "../../../broker/storage/file-system.ts";

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FakeTimer {
  at: number;
  seq: number;
  owner: string;
  fire: () => void;
  cancelled: boolean;
}

/** Time that moves only when the test says so; timers fire in time order, then in the order set. */
export class FakeScheduler {
  #now = 1_700_000_000_000;
  #seq = 0;
  #timers: FakeTimer[] = [];
  readonly #deadOwners = new Set<string>();

  now(): number {
    return this.#now;
  }

  /** A Scheduler whose timers belong to `owner`, so a crash can take them all away. */
  view(owner: string): Scheduler {
    return {
      now: () => this.#now,
      setTimer: (delayMs, onFire) => this.setTimer(owner, delayMs, onFire),
    };
  }

  setTimer(owner: string, delayMs: number, onFire: () => void): Timer {
    if (this.#deadOwners.has(owner)) return { cancel() {} };
    const timer: FakeTimer = {
      at: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      owner,
      fire: onFire,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Cancels every timer of `owner` and refuses it new ones (its process is gone). */
  kill(owner: string): void {
    this.#deadOwners.add(owner);
    for (const timer of this.#timers) if (timer.owner === owner) timer.cancelled = true;
  }

  /** Runs every timer due within `ms`, letting promise callbacks run after each; ends `ms` later. */
  async advance(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  /** Advances until `condition` holds (checked after each timer) or `maxMs` pass; returns whether it held. */
  async runUntil(condition: () => boolean, maxMs: number): Promise<boolean> {
    const deadline = this.#now + maxMs;
    await settle();
    for (;;) {
      if (condition()) return true;
      const next = this.#nextTimer();
      if (next === null || next.at > deadline) {
        this.#now = deadline;
        return condition();
      }
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fire();
      await settle();
    }
  }

  #nextTimer(): FakeTimer | null {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    let next: FakeTimer | null = null;
    for (const timer of this.#timers) {
      if (next === null || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
    }
    return next;
  }
}

/** Lets every pending promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Real files, no fsync (fast), and a crash that closes every open file without flushing anything. */
export class CrashableFileSystem implements FileSystem {
  readonly #open = new Set<FileHandle>();

  crash(): void {
    for (const handle of this.#open) handle.close();
    this.#open.clear();
  }

  open(path: string, options: { create: boolean }): FileHandle {
    const inner = nodeFileSystem.open(path, options);
    this.#open.add(inner);
    return {
      path,
      size: () => inner.size(),
      read: (into, intoOffset, length, position) => inner.read(into, intoOffset, length, position),
      append: (data) => inner.append(data),
      writeAt: (data, position) => inner.writeAt(data, position),
      truncate: (size) => inner.truncate(size),
      sync: () => {},
      lastModifiedMs: () => inner.lastModifiedMs(),
      close: () => {
        this.#open.delete(inner);
        inner.close();
      },
    };
  }

  exists = (path: string) => nodeFileSystem.exists(path);
  list = (dir: string) => nodeFileSystem.list(dir);
  mkdirp = (dir: string) => nodeFileSystem.mkdirp(dir);
  remove = (path: string) => nodeFileSystem.remove(path);
  removeDir = (dir: string) => nodeFileSystem.removeDir(dir);
  rename = (from: string, to: string) => nodeFileSystem.rename(from, to);
  syncDir = (_dir: string) => {};
}

const versions: Record<RaftApi, number> = { Vote: 0, BeginQuorumEpoch: 0, EndQuorumEpoch: 0, Fetch: 12 };

function throughCodec<T>(schema: MessageSchema<T>, version: number, value: T): T {
  return decode(schema, version, new Reader(encode(schema, version, value).toBuffer()));
}

/** Latencies, lost messages and cut links between the nodes of a cluster. */
export class SimulatedNetwork {
  minLatencyMs = 1;
  maxLatencyMs = 5;
  /** Chance that any one message (request or response) is lost. */
  dropRate = 0;
  readonly requestTimeoutMs: number;
  readonly #scheduler: FakeScheduler;
  readonly #random: () => number;
  readonly #nodes = new Map<number, { node: RaftNode; incarnation: number }>();
  readonly #cut = new Set<string>();
  readonly #isolated = new Set<number>();

  constructor(scheduler: FakeScheduler, random: () => number, requestTimeoutMs: number) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  attach(id: number, node: RaftNode, incarnation: number): void {
    this.#nodes.set(id, { node, incarnation });
  }

  detach(id: number): void {
    this.#nodes.delete(id);
  }

  isolate(id: number): void {
    this.#isolated.add(id);
  }

  cutLink(a: number, b: number): void {
    this.#cut.add(`${a}-${b}`).add(`${b}-${a}`);
  }

  heal(): void {
    this.#cut.clear();
    this.#isolated.clear();
  }

  healNode(id: number): void {
    this.#isolated.delete(id);
    for (const link of [...this.#cut]) if (link.split("-").includes(String(id))) this.#cut.delete(link);
  }

  /** The channel of incarnation `incarnation` of node `id`: once that incarnation is gone, its requests never settle. */
  channel(id: number, incarnation: number): RaftChannel {
    return {
      send: <Api extends RaftApi>(destination: number, api: Api, request: RaftMessages[Api]["request"]) =>
        this.#send(id, incarnation, destination, api, request),
      close: () => {},
    };
  }

  #linkUp(from: number, to: number): boolean {
    return !this.#isolated.has(from) && !this.#isolated.has(to) && !this.#cut.has(`${from}-${to}`);
  }

  #alive(id: number, incarnation: number): boolean {
    return this.#nodes.get(id)?.incarnation === incarnation;
  }

  #latency(): number {
    return this.minLatencyMs + Math.floor(this.#random() * (this.maxLatencyMs - this.minLatencyMs + 1));
  }

  #lost(from: number, to: number): boolean {
    return !this.#linkUp(from, to) || (this.dropRate > 0 && this.#random() < this.dropRate);
  }

  #send<Api extends RaftApi>(
    from: number,
    incarnation: number,
    destination: number,
    api: Api,
    request: RaftMessages[Api]["request"],
  ): Promise<RaftMessages[Api]["response"]> {
    const definition = Apis[api] as unknown as {
      requestSchema: MessageSchema<RaftMessages[Api]["request"]>;
      responseSchema: MessageSchema<RaftMessages[Api]["response"]>;
    };
    const version = versions[api];
    const wireRequest = throughCodec(definition.requestSchema, version, request);
    const extra = api === "Fetch" ? (request as RaftMessages["Fetch"]["request"]).maxWaitMs : 0;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settleWith = (outcome: () => void) => {
        if (settled || !this.#alive(from, incarnation)) return;
        settled = true;
        timeout.cancel();
        outcome();
      };
      const timeout = this.#scheduler.setTimer("network", this.requestTimeoutMs + extra, () =>
        settleWith(() => reject(new Error(`${api} to ${destination} timed out`))),
      );
      if (this.#lost(from, destination)) return;
      this.#scheduler.setTimer("network", this.#latency(), () => {
        const target = this.#nodes.get(destination);
        if (target === undefined) {
          // Nobody listens there: the connection is refused.
          this.#scheduler.setTimer("network", this.#latency(), () =>
            settleWith(() => reject(new Error(`node ${destination} is down`))),
          );
          return;
        }
        Promise.resolve(dispatch(target.node, api, wireRequest)).then((response) => {
          if (!this.#alive(destination, target.incarnation) || this.#lost(destination, from)) return;
          const wireResponse = throughCodec(definition.responseSchema, version, response);
          this.#scheduler.setTimer("network", this.#latency(), () => settleWith(() => resolve(wireResponse)));
        });
      });
    });
  }
}

function dispatch<Api extends RaftApi>(
  node: RaftNode,
  api: Api,
  request: RaftMessages[Api]["request"],
): RaftMessages[Api]["response"] | Promise<RaftMessages[Api]["response"]> {
  switch (api) {
    case "Vote":
      return node.handleVote(request as RaftMessages["Vote"]["request"]) as RaftMessages[Api]["response"];
    case "BeginQuorumEpoch":
      return node.handleBeginQuorumEpoch(
        request as RaftMessages["BeginQuorumEpoch"]["request"],
      ) as RaftMessages[Api]["response"];
    case "EndQuorumEpoch":
      return node.handleEndQuorumEpoch(
        request as RaftMessages["EndQuorumEpoch"]["request"],
      ) as RaftMessages[Api]["response"];
    default:
      return node.handleFetch(request as RaftMessages["Fetch"]["request"]) as Promise<RaftMessages[Api]["response"]>;
  }
}

export interface ClusterOptions {
  voters: readonly number[];
  /** Non-voters that replicate the log. */
  observers?: readonly number[];
  seed?: number;
  config?: Partial<RaftConfig>;
}

interface Member {
  node: RaftNode;
  fs: CrashableFileSystem;
  incarnation: number;
}

export class RaftTestCluster {
  readonly scheduler = new FakeScheduler();
  readonly network: SimulatedNetwork;
  readonly root: string;
  readonly voters: readonly number[];
  readonly ids: readonly number[];
  /** What each node's committed listener got, per incarnation, in order. */
  readonly committed = new Map<number, CommittedBatch[]>();
  readonly #members = new Map<number, Member>();
  readonly #incarnations = new Map<number, number>();
  readonly #options: ClusterOptions;
  readonly #seed: number;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.#seed = options.seed ?? 1;
    this.voters = options.voters;
    this.ids = [...options.voters, ...(options.observers ?? [])];
    this.root = mkdtempSync(join(tmpdir(), "raft-test-"));
    this.network = new SimulatedNetwork(this.scheduler, seededRandom(this.#seed * 7919 + 1), 2000);
  }

  config(id: number): RaftConfig {
    return { ...defaultRaftTimings, nodeId: id, voters: this.voters, ...this.#options.config };
  }

  dataDir(id: number): string {
    return join(this.root, `node-${id}`);
  }

  node(id: number): RaftNode {
    const member = this.#members.get(id);
    if (member === undefined) throw new Error(`node ${id} is not running`);
    return member.node;
  }

  isRunning(id: number): boolean {
    return this.#members.has(id);
  }

  get running(): RaftNode[] {
    return [...this.#members.values()].map((member) => member.node);
  }

  /** Opens and starts node `id` (again, after a crash or stop), its committed listener recording into `committed`. */
  start(id: number): RaftNode {
    if (this.#members.has(id)) throw new Error(`node ${id} is already running`);
    const incarnation = (this.#incarnations.get(id) ?? 0) + 1;
    this.#incarnations.set(id, incarnation);
    const fs = new CrashableFileSystem();
    const node = RaftNode.open({
      config: this.config(id),
      dataDir: this.dataDir(id),
      channel: this.network.channel(id, incarnation),
      fs,
      scheduler: this.scheduler.view(`node-${id}#${incarnation}`),
      random: seededRandom(this.#seed * 31 + id * 1009 + incarnation),
      logger: silentLogger,
    });
    const received: CommittedBatch[] = [];
    this.committed.set(id, received);
    node.onCommitted((batch) => received.push(batch));
    this.network.attach(id, node, incarnation);
    this.#members.set(id, { node, fs, incarnation });
    node.start();
    return node;
  }

  startAll(): RaftNode[] {
    return this.ids.map((id) => this.start(id));
  }

  /** Kills node `id` like kill -9: no more timers or messages, files closed with nothing flushed. */
  crash(id: number): void {
    const member = this.#members.get(id);
    if (member === undefined) return;
    this.#members.delete(id);
    this.network.detach(id);
    this.scheduler.kill(`node-${id}#${member.incarnation}`);
    member.fs.crash();
  }

  /** Stops node `id` cleanly (a leader resigns first), driving the clock while it does. */
  async stop(id: number): Promise<void> {
    const member = this.#members.get(id);
    if (member === undefined) return;
    let done = false;
    const closing = member.node.close().then(() => {
      done = true;
    });
    await this.scheduler.runUntil(() => done, 60_000);
    await closing;
    this.#members.delete(id);
    this.network.detach(id);
    this.scheduler.kill(`node-${id}#${member.incarnation}`);
  }

  /** The running leader of the highest epoch, if any. */
  leader(): RaftNode | null {
    let found: RaftNode | null = null;
    for (const node of this.running) {
      if (node.isLeader && (found === null || node.epoch > found.epoch)) found = node;
    }
    return found;
  }

  /** Advances time until `condition` holds; fails the test after `maxMs` of fake time. */
  async until(condition: () => boolean, what: string, maxMs = 60_000): Promise<void> {
    if (!(await this.scheduler.runUntil(condition, maxMs))) {
      throw new Error(`not within ${maxMs} ms of fake time: ${what} (${this.describe()})`);
    }
  }

  /** Waits for a leader whose own leadership is usable (its LeaderChangeMessage committed). */
  async elected(maxMs = 60_000): Promise<RaftNode> {
    await this.until(
      () => {
        const leader = this.leader();
        return leader !== null && leader.highWatermark >= leader.logEndOffset && leader.highWatermark > 0n;
      },
      "a leader with a committed epoch",
      maxMs,
    );
    return this.leader()!;
  }

  /**
   * Proposes on the leader and drives the clock until it commits; a proposal whose leader lost its
   * leadership first (an election can always intervene) is made again on the next leader.
   */
  async commit(values: string[]): Promise<bigint> {
    for (let attempt = 1; ; attempt++) {
      const leader = await this.elected();
      let outcome: { offset: bigint } | { error: unknown } | null = null;
      leader.propose(values.map((value) => Buffer.from(value))).then(
        (offset) => {
          outcome = { offset };
        },
        (error: unknown) => {
          outcome = { error };
        },
      );
      await this.until(() => outcome !== null, `commit of ${values.join(",")}`);
      const settled = outcome as { offset: bigint } | { error: unknown } | null;
      if (settled !== null && "offset" in settled) return settled.offset;
      const error = (settled as { error: unknown }).error;
      if (!(error instanceof NotLeaderError) || attempt >= 10) throw error;
    }
  }

  /** The bytes of node `id`'s metadata log: its segment files in order. */
  logBytes(id: number): Buffer {
    const dir = join(this.dataDir(id), METADATA_LOG_DIR_NAME);
    const segments = readdirSync(dir)
      .filter((name) => name.endsWith(".log"))
      .sort();
    return Buffer.concat(segments.map((name) => readFileSync(join(dir, name))));
  }

  /** The record values a node's committed listener got, as strings. */
  committedValues(id: number): string[] {
    return (this.committed.get(id) ?? []).flatMap((batch) => batch.records.map((record) => record.toString()));
  }

  describe(): string {
    return this.running
      .map(
        (node) =>
          `${node.nodeId}:${node.role}@${node.epoch} leader=${node.leaderId} end=${node.logEndOffset} hw=${node.highWatermark}`,
      )
      .join("; ");
  }

  /** Crashes whatever still runs and removes the files. */
  dispose(): void {
    for (const id of [...this.#members.keys()]) this.crash(id);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A cluster for one test, disposed of after it. */
export function useCluster(t: TestContext, options: ClusterOptions): RaftTestCluster {
  const made = new RaftTestCluster(options);
  t.after(() => made.dispose());
  return made;
}

/** Runs `promise` to its end while the cluster's clock moves. */
export async function settled<T>(
  quorum: RaftTestCluster,
  promise: Promise<T>,
  maxMs = 60_000,
): Promise<{ value?: T; error?: unknown }> {
  let outcome: { value?: T; error?: unknown } | null = null;
  promise.then(
    (value) => {
      outcome = { value };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  await quorum.until(() => outcome !== null, "the promise to settle", maxMs);
  return outcome!;
}
