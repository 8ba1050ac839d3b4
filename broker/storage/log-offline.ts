// Whether a partition log may still be written (Kafka takes a log dir offline on the first I/O
// error): after a failed write or fsync the state of the files is unknown — a failed fsync may
// even have dropped dirty pages — so the first failure of any file operation takes the log
// offline, every later write refuses with LogOfflineError naming that failure as its cause, and
// only reopening the log, which recovers it from what is on disk, brings it back.
//
// Ownership: an OfflineState is owned by its LocalLog, through which its PartitionLog runs every
// file operation of the log; it keeps only the failure that took the log offline.

/** Thrown by every write of a log that an I/O failure took offline; its cause is that failure. */
export class LogOfflineError extends Error {}

export class OfflineState {
  readonly #dir: string;
  readonly #onOffline: ((cause: unknown) => void) | undefined;
  #cause: unknown = null;

  /** `onOffline` hears the failure once, when the log goes offline. */
  constructor(dir: string, onOffline?: (cause: unknown) => void) {
    this.#dir = dir;
    this.#onOffline = onOffline;
  }

  get isOffline(): boolean {
    return this.#cause !== null;
  }

  /** The failure that took the log offline, or null while it is online. */
  get cause(): unknown {
    return this.#cause;
  }

  /** Throws LogOfflineError once the log is offline. */
  assertOnline(): void {
    if (this.#cause === null) return;
    throw new LogOfflineError(`log ${this.#dir} is offline after an I/O failure; reopen it to recover`, {
      cause: this.#cause,
    });
  }

  /** Runs file operations; any failure takes the log offline before it propagates. */
  run<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      if (this.#cause === null) {
        this.#cause = error;
        this.#onOffline?.(error);
      }
      throw error;
    }
  }
}
