// The wire fuzzer the CI test (test/acceptance/wire-fuzz.test.ts) and the bench (bench/fuzz.ts)
// share. Its corpus: valid requests of every API and version generated from the schemas, and
// real clients' frames (kafkajs, kcat) recorded against the broker under test. From it, frames:
// first every integer field of every recorded frame at its maximum, then at random valid frames,
// mutated ones (bit flips, lengths and counts at extremes, truncations, size prefixes that lie),
// Produce frames with their record batches broken inside (behind a valid CRC mostly), gzip bombs,
// unknown API keys and versions, and random bytes; a frame that would have the broker create
// more than a few partitions is left out (admin-bounds.ts). They go out over short-lived and
// pipelined connections from many senders at once; every answer's correlation id is checked, the
// broker's memory sampled, and at checkpoints the healthy clients must get a round through while
// the senders go on.

import { readFileSync } from "node:fs";
import { seededRandom } from "../../../seed/load/workload.ts";
import { createsTooManyPartitions } from "./admin-bounds.ts";
import { mutateBatch } from "./batch-mutations.ts";
import { type FrameFields, fieldsOf, type RequestFrame } from "./frame-fields.ts";
import { mutateFrame, pickWith, type Random, wireBytes, withFieldAtMaximum } from "./frame-mutations.ts";
import { type ConnectionTally, emptyTally, exchange, type WireFrame } from "./fuzz-connections.ts";
import { headerOddities } from "./generated-requests.ts";

export interface FuzzCorpus {
  /** Valid frames generated from the schemas. */
  generated: RequestFrame[];
  kafkajs: RequestFrame[];
  kcat: RequestFrame[];
  /** Produce frames with a gzip bomb. */
  bombs: RequestFrame[];
}

/** Where each frame of the mix comes from, and its share. */
const MIX = [
  ["generated", 0.14],
  ["generated-mutated", 0.3],
  ["batch-mutated", 0.14],
  ["recorded", 0.05],
  ["recorded-mutated", 0.3],
  ["header-oddity", 0.03],
  ["random-bytes", 0.02],
  ["gzip-bomb", 0.002],
] as const;

export type FrameOrigin = (typeof MIX)[number][0] | "field-at-maximum";

interface Entry {
  frame: RequestFrame;
  fields: FrameFields;
}

/** A frame drawn from the mix, before it gets its correlation id. */
interface Drawn {
  origin: FrameOrigin;
  body: Buffer;
  sizePrefix: number;
}

/** Frames of the mix, one at a time, each with a correlation id of its own. */
export class FrameSource {
  private readonly random: Random;
  private readonly generated: Entry[];
  private readonly recorded: Entry[];
  private readonly withBatches: Entry[];
  /** Every integer field of every recorded frame at its maximum, sent first. */
  private readonly systematic: Array<{ body: Buffer; sizePrefix: number }>;
  private nextCorrelationId = 1;
  readonly origins: Partial<Record<FrameOrigin, number>> = {};
  /** Frames drawn and left out: requests to create more partitions than admin-bounds.ts lets through. */
  leftOut = 0;

  constructor(
    private readonly corpus: FuzzCorpus,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    const entry = (frame: RequestFrame): Entry => ({ frame, fields: fieldsOf(frame) });
    this.generated = corpus.generated.map(entry);
    this.recorded = [...corpus.kafkajs, ...corpus.kcat].map(entry);
    this.withBatches = [...this.generated, ...this.recorded].filter((e) => e.fields.batches.length > 0);
    this.systematic = this.recorded.flatMap(({ frame, fields }) =>
      fields.integers.map((f) => withFieldAtMaximum(frame, f)),
    );
    this.systematic.reverse(); // popped from the end: recorded order
  }

  /** The systematic frames still to come. */
  get systematicLeft(): number {
    return this.systematic.length;
  }

  next(): WireFrame {
    for (;;) {
      const { origin, body, sizePrefix } = this.draw();
      if (!createsTooManyPartitions(body, sizePrefix)) return this.wire(origin, body, sizePrefix);
      this.leftOut++;
    }
  }

  private draw(): Drawn {
    const systematic = this.systematic.pop();
    if (systematic !== undefined) return { origin: "field-at-maximum", ...systematic };
    const origin = this.pickOrigin();
    const pick = pickWith(this.random);
    const aligned = (body: Buffer): Drawn => ({ origin, body, sizePrefix: body.length });
    switch (origin) {
      case "generated":
        return aligned(Buffer.from(pick(this.generated).frame));
      case "recorded":
        return aligned(Buffer.from(pick(this.recorded).frame));
      case "generated-mutated":
      case "recorded-mutated": {
        const { frame, fields } = pick(origin === "generated-mutated" ? this.generated : this.recorded);
        const mutated = mutateFrame(frame, fields.integers, this.random);
        return { origin, body: mutated.body, sizePrefix: mutated.sizePrefix };
      }
      case "batch-mutated": {
        const { frame, fields } = pick(this.withBatches);
        const body = Buffer.from(frame);
        const { position, size } = pick(fields.batches);
        mutateBatch(body, position, size, this.random);
        return aligned(body);
      }
      case "header-oddity":
        return aligned(headerOddities(this.random, this.corpus.generated));
      case "random-bytes": {
        const body = Buffer.from(Array.from({ length: Math.floor(this.random() * 64) }, () => this.random() * 256));
        return { origin, body, sizePrefix: this.random() < 0.8 ? body.length : (this.random() * 2 ** 32) | 0 };
      }
      case "gzip-bomb":
        return aligned(Buffer.from(pick(this.corpus.bombs)));
    }
  }

  private pickOrigin(): (typeof MIX)[number][0] {
    let roll = this.random() * MIX.reduce((sum, [, share]) => sum + share, 0);
    for (const [origin, share] of MIX) {
      roll -= share;
      if (roll < 0) return origin;
    }
    return "generated";
  }

  /** Writes a fresh correlation id into the header (when the body has one) and frames the body. */
  private wire(origin: FrameOrigin, body: Buffer, sizePrefix: number): WireFrame {
    this.origins[origin] = (this.origins[origin] ?? 0) + 1;
    let correlationId: number | null = null;
    if (body.length >= 8 && sizePrefix >= 8) {
      correlationId = this.nextCorrelationId;
      this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
      body.writeInt32BE(correlationId, 4);
    }
    return { bytes: wireBytes({ body, sizePrefix }), framed: sizePrefix === body.length, correlationId, origin };
  }
}

export interface FuzzRunOptions {
  address: string;
  frames: number;
  seed: number;
  /** Senders at once, each one connection at a time. */
  senders: number;
  /** How long a connection waits for the broker's next byte before it gives up on a held request. */
  patienceMs: number;
  /** Share of connections that carry several frames back to back. */
  pipelinedShare: number;
  /** Frames per pipelined connection, at most. */
  pipelineDepth: number;
  /** The broker's pid, for its memory and whether it is still there; undefined: neither is watched. */
  brokerPid?: number;
  /**
   * Run every `checkpointEvery` frames while the senders go on, one at a time (the next waits for
   * the one before): the healthy clients must get a round through while the broker is being fuzzed.
   * A checkpoint that throws is counted as failed, with its error, and the run goes on.
   */
  checkpoint?: (index: number) => Promise<void>;
  checkpointEvery?: number;
  /** Called about once a second with the figures so far. */
  onProgress?: (report: FuzzReport) => void;
}

export interface CheckpointTally {
  run: number;
  passed: number;
  /** What the failed ones threw, "#index: message". */
  failures: string[];
}

export interface FuzzReport extends ConnectionTally {
  seconds: number;
  framesPerSecond: number;
  origins: Partial<Record<FrameOrigin, number>>;
  /** Frames drawn but not sent: they would have created more partitions than a fuzz frame may. */
  leftOut: number;
  /** The broker's resident memory in MB: before the first frame, the largest seen, after the last. */
  rssMb: { before: number | null; max: number | null; after: number | null };
  checkpoints: CheckpointTally;
  /** The broker's process went away during the run (the senders stopped there). */
  brokerGone: boolean;
}

/** How often the broker's memory is sampled (and progress reported). */
const SAMPLE_EVERY_MS = 1000;

/** Sends `options.frames` frames of the corpus's mix to the broker; resolves with what happened. */
export async function runFuzz(corpus: FuzzCorpus, options: FuzzRunOptions): Promise<FuzzReport> {
  const source = new FrameSource(corpus, options.seed);
  const random = seededRandom(options.seed ^ 0x5eed);
  const tally = emptyTally();
  const watched = options.brokerPid !== undefined;
  const rss = { before: rssMb(options.brokerPid), max: rssMb(options.brokerPid), after: null as number | null };
  const checkpoints: CheckpointTally = { run: 0, passed: 0, failures: [] };
  const started = performance.now();
  let sent = 0;
  let brokerGone = false;
  const checkpointEvery = options.checkpointEvery ?? Number.POSITIVE_INFINITY;
  let nextCheckpoint = checkpointEvery;
  let checkpointsDone: Promise<void> = Promise.resolve();
  const report = (): FuzzReport => {
    const seconds = (performance.now() - started) / 1000;
    return {
      ...tally,
      outcomes: { ...tally.outcomes },
      violations: [...tally.violations],
      seconds,
      framesPerSecond: Math.round(tally.frames / Math.max(seconds, 0.001)),
      origins: { ...source.origins },
      leftOut: source.leftOut,
      rssMb: { ...rss },
      checkpoints: { ...checkpoints, failures: [...checkpoints.failures] },
      brokerGone,
    };
  };
  const sample = (): void => {
    const now = rssMb(options.brokerPid);
    if (now !== null) rss.max = Math.max(rss.max ?? 0, now);
    // A crashed broker refuses every connection at once; the run would only count refusals.
    else if (watched) brokerGone = true;
  };
  const sampler = setInterval(() => {
    sample();
    options.onProgress?.(report());
  }, SAMPLE_EVERY_MS);
  const checkpoint = (index: number) => async (): Promise<void> => {
    if (brokerGone || options.checkpoint === undefined) return;
    checkpoints.run++;
    try {
      await options.checkpoint(index);
      checkpoints.passed++;
    } catch (error) {
      checkpoints.failures.push(`#${index}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const sender = async (): Promise<void> => {
    while (sent < options.frames && !brokerGone) {
      const pipelined = source.systematicLeft === 0 && random() < options.pipelinedShare;
      const count = pipelined ? 2 + Math.floor(random() * (options.pipelineDepth - 1)) : 1;
      const frames = Array.from({ length: Math.min(count, options.frames - sent) }, () => source.next());
      sent += frames.length;
      if (sent >= nextCheckpoint) {
        nextCheckpoint += checkpointEvery;
        checkpointsDone = checkpointsDone.then(checkpoint(Math.floor(sent / checkpointEvery)));
      }
      await exchange(options.address, frames, options.patienceMs, tally);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.senders }, sender));
    await checkpointsDone;
  } finally {
    clearInterval(sampler);
  }
  sample();
  rss.after = rssMb(options.brokerPid);
  return report();
}

/** Resident memory of a process in MB; null without /proc or once it is gone. */
export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}
