// Warnings a flood of bad clients would repeat thousands of times a second (a connection refused
// over a limit, one closed for a bad request): a million fuzzed frames would otherwise write a
// quarter of a million log lines. Each message is logged at once the first time, then at most once
// per interval, with how many times it happened since its last line.
//
// Ownership: one ThrottledWarnings per broker, used on the event loop only.

export interface WarningLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export class ThrottledWarnings {
  private readonly byMessage = new Map<string, { lastLoggedAt: number; unlogged: number }>();

  constructor(
    private readonly log: WarningLog,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(message: string, fields: Record<string, unknown> = {}): void {
    let seen = this.byMessage.get(message);
    if (seen === undefined) {
      seen = { lastLoggedAt: Number.NEGATIVE_INFINITY, unlogged: 0 };
      this.byMessage.set(message, seen);
    }
    seen.unlogged++;
    const at = this.now();
    if (at - seen.lastLoggedAt < this.intervalMs) return;
    this.log.warn(message, { ...fields, sinceLastLine: seen.unlogged });
    seen.lastLoggedAt = at;
    seen.unlogged = 0;
  }
}
