// The live tail: every record that arrives on a topic from the moment someone watches, to every
// watcher. One poller per watched topic, shared by its watchers: it starts at each partition's end
// and reads on from there twice a second, and stops when the last watcher leaves.
//
// Ownership: the LiveTail owns one poller per watched topic, with its positions and watchers.
import type { PartitionReader, ReadRecord } from "./partition-reader.ts";

interface TopicTail {
  watchers: Set<(record: ReadRecord) => void>;
  positions: Map<number, bigint>;
  /** Whether the first poll (which starts every partition at its end) is done. */
  started: boolean;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export interface LiveTailOptions {
  /** Default 500 ms. */
  intervalMs?: number;
  /** Most records per partition per poll (default 200): a flood is sampled, not queued without end. */
  maxPerPoll?: number;
}

export class LiveTail {
  private readonly tails = new Map<string, TopicTail>();
  private readonly intervalMs: number;
  private readonly maxPerPoll: number;

  constructor(
    private readonly reader: PartitionReader,
    options: LiveTailOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 500;
    this.maxPerPoll = options.maxPerPoll ?? 200;
  }

  /** Calls `watcher` with each new record of `topic`; returns the unsubscribe. */
  watch(topic: string, watcher: (record: ReadRecord) => void): () => void {
    let tail = this.tails.get(topic);
    if (!tail) {
      tail = { watchers: new Set(), positions: new Map(), started: false, timer: undefined, stopped: false };
      this.tails.set(topic, tail);
      this.schedule(topic, tail, 0);
    }
    tail.watchers.add(watcher);
    const watched = tail;
    return () => {
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0) this.end(topic, watched);
    };
  }

  close(): void {
    for (const [topic, tail] of this.tails) this.end(topic, tail);
  }

  private end(topic: string, tail: TopicTail): void {
    tail.stopped = true;
    clearTimeout(tail.timer);
    if (this.tails.get(topic) === tail) this.tails.delete(topic);
  }

  private schedule(topic: string, tail: TopicTail, delay: number): void {
    if (tail.stopped) return;
    tail.timer = setTimeout(() => {
      this.poll(topic, tail)
        .catch(() => undefined) // a broker away for a moment: the next poll tries again
        .finally(() => this.schedule(topic, tail, this.intervalMs));
    }, delay);
  }

  private async poll(topic: string, tail: TopicTail): Promise<void> {
    const offsets = await this.reader.offsets(topic);
    for (const [partition, { start, end }] of offsets) {
      let position = tail.positions.get(partition);
      // The tail starts at the end; a partition added to the topic since is read from its start.
      if (position === undefined && !tail.started) {
        tail.positions.set(partition, end);
        continue;
      }
      if (position === undefined || position < start) position = start;
      // The log was truncated below where the tail stood (a new leader): go on from its end.
      if (position >= end) {
        tail.positions.set(partition, end);
        continue;
      }
      const records = await this.reader.read(topic, partition, position, this.maxPerPoll);
      if (tail.stopped) return;
      for (const record of records) for (const watcher of tail.watchers) watcher(record);
      const last = records.at(-1);
      tail.positions.set(partition, last ? BigInt(last.offset) + 1n : end);
    }
    tail.started = true;
  }
}
