// The active controller's periodic tasks (Kafka's PeriodicTaskControlManager): the session check,
// which fences brokers whose session ran out, and, with auto.leader.rebalance.enable, the leader
// rebalance every leader.imbalance.check.interval.seconds. They run only while the controller is
// active, and a run that fails (leadership went meanwhile, say) is simply tried at the next period.
// Every timer the controller sets goes through ControllerTimers, so that tests can fire them by hand.
//
// Ownership: a PeriodicTaskControl belongs to one QuorumController, which activates and deactivates
// it with its leadership; it owns the running timers only. The tasks themselves are the
// controller's, and run as steps of its queue.

export interface ControllerTimers {
  /** Runs `task` every `ms` until the returned function is called. */
  every(ms: number, task: () => void): () => void;
  /** Runs `task` once after `ms` unless the returned function is called first. */
  after(ms: number, task: () => void): () => void;
}

export const realTimers: ControllerTimers = {
  every(ms, task) {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, task) {
    const timer = setTimeout(task, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface PeriodicTaskSettings {
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
  /** auto.leader.rebalance.enable */
  autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  leaderImbalanceCheckIntervalMs: number;
}

/** What the tasks do, on the controller. */
export interface PeriodicTasks {
  fenceStaleBrokers(): Promise<unknown>;
  /** Preferred-leader elections, then the unclean elections topics allow. */
  balanceLeaders(): Promise<unknown>;
  /** This process did not run for `ms`: sessions get that time back. */
  extendSessions(ms: number): void;
}

export class PeriodicTaskControl {
  private cancels: (() => void)[] = [];

  constructor(
    private readonly settings: PeriodicTaskSettings,
    private readonly now: () => number,
    private readonly timers: ControllerTimers,
    private readonly tasks: PeriodicTasks,
  ) {}

  /** Starts the tasks: the controller became active. */
  activate(): void {
    const { sessionTimeoutMs, autoLeaderRebalance, leaderImbalanceCheckIntervalMs } = this.settings;
    const sessionCheckMs = Math.max(50, Math.min(1000, Math.floor(sessionTimeoutMs / 4)));
    const quietly = (task: () => Promise<unknown>) => () => {
      task().catch(() => {});
    };
    // A check that comes more than a whole period late means this process did not run meanwhile
    // (its event loop was blocked, say by a CreateTopics of thousands of partitions whose logs are
    // made synchronously): no heartbeat could be heard then, so that time does not count against
    // any session. Else a lone broker, its own controller, fenced itself after any stall longer
    // than its session and took every partition offline until its next heartbeat.
    let lastCheckMs = this.now();
    this.cancels.push(
      this.timers.every(sessionCheckMs, () => {
        const now = this.now();
        const lateMs = now - lastCheckMs - sessionCheckMs;
        lastCheckMs = now;
        if (lateMs > sessionCheckMs) this.tasks.extendSessions(lateMs);
        quietly(() => this.tasks.fenceStaleBrokers())();
      }),
    );
    if (autoLeaderRebalance)
      this.cancels.push(
        this.timers.every(
          leaderImbalanceCheckIntervalMs,
          quietly(() => this.tasks.balanceLeaders()),
        ),
      );
  }

  /** Stops the tasks: the controller is no longer active. */
  deactivate(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels = [];
  }
}
