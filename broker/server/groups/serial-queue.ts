// Runs tasks for one key strictly one after another; tasks for different keys interleave freely.
// A task that returns a promise holds its key until that promise settles, so a task must hand back
// long waits (parked JoinGroup/SyncGroup answers) wrapped in a non-thenable object instead.

export class KeyedSerialQueue<Key> {
  private readonly tails = new Map<Key, { tail: Promise<unknown>; queued: number }>();

  run<Result>(key: Key, task: () => Result | Promise<Result>): Promise<Result> {
    let lane = this.tails.get(key);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), queued: 0 };
      this.tails.set(key, lane);
    }
    const activeLane = lane;
    activeLane.queued += 1;
    const result = activeLane.tail.then(task);
    activeLane.tail = result.then(
      () => this.release(key, activeLane),
      () => this.release(key, activeLane),
    );
    return result;
  }

  /** Resolves once every task queued so far, for any key, has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) {
      await Promise.all([...this.tails.values()].map((lane) => lane.tail));
    }
  }

  private release(key: Key, lane: { queued: number }): void {
    lane.queued -= 1;
    // Dropping idle lanes keeps the map from growing with every group id ever seen.
    if (lane.queued === 0 && this.tails.get(key) === lane) this.tails.delete(key);
  }
}
