// Every wait in the coordinator goes through this seam so tests can drive time by hand.

export interface Timer {
  cancel(): void;
}

export interface Scheduler {
  /** Wall-clock milliseconds since the epoch (used for commit timestamps). */
  now(): number;
  setTimer(delayMs: number, onFire: () => void): Timer;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(delayMs, onFire) {
    const handle = setTimeout(onFire, Math.max(0, delayMs));
    // Group timers must never be the reason the process stays up; the server socket is.
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
