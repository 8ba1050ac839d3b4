// Remembers the commands this process accepted recently, by commandId (the Idempotency-Key), so a
// POS that retries after a lost response gets the first answer back instead of a second record on
// points.commands. It is bounded and in memory only: across restarts (or once a key is evicted)
// the ledger's dedupe by commandId is what keeps a command from being applied twice.
import { AppError } from "../shared/errors.ts";
import { oldestFirst } from "../shared/oldest-first.ts";
import type { PublishedAt } from "./command-publisher.ts";

export const DEFAULT_IDEMPOTENCY_CAPACITY = 10_000;

interface Entry {
  /** What the command asked for; the same key with another payload is a client bug. */
  fingerprint: string;
  /** Pending while the first request is still being accepted, so a concurrent retry waits for it. */
  accepted: Promise<PublishedAt>;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly leastRecentlyUsed = oldestFirst(this.entries);

  constructor(private readonly capacity = DEFAULT_IDEMPOTENCY_CAPACITY) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The first acceptance of `key`, or `accept()`'s when the key is new. A failed acceptance is
   * forgotten, so the client's retry tries again. Throws a 409 AppError when the key was used
   * with a different fingerprint.
   */
  async acceptOnce(
    key: string,
    fingerprint: string,
    accept: () => Promise<PublishedAt>,
  ): Promise<{ at: PublishedAt; replayed: boolean }> {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint)
        throw AppError.conflict(`Idempotency-Key ${key} was already used for a different command`);
      // Recently used keys stay longest.
      this.entries.delete(key);
      this.entries.set(key, existing);
      return { at: await existing.accepted, replayed: true };
    }
    const entry: Entry = { fingerprint, accepted: accept() };
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.leastRecentlyUsed()!);
    try {
      return { at: await entry.accepted, replayed: false };
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }
}
