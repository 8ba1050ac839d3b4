// Java's max.poll.interval.ms (KIP-62) for our consumer: a handler call (eachMessage or eachBatch)
// that runs longer than the limit means the app has stalled, and since heartbeats run on a timer of
// their own the group would never notice: the member would keep its partitions, consuming nothing.
// So, as Java's consumer does, the member gives its partitions up itself: the runner ends its
// session as lost (nothing of it is committed once the call returns) and leaves the group with
// the reason below (KIP-800), then joins again as a new member once the call has returned. It
// leaves even when a rebalance has already ended the session (another member joined while the call
// ran): the rebalance would otherwise wait out the member's whole rebalance timeout for its join.
//
// Ownership: a PollTimeout owns one timer per handler call in progress; the session is the runner's.
import type { Session } from "./session.ts";

/** The reason a member that stalled gives in its LeaveGroup (KIP-800), word for word Java's. */
export const POLL_TIMEOUT_REASON =
  "consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms";

/** Java's warning when it happens, with its advice. */
export const POLL_TIMEOUT_WARNING = `${POLL_TIMEOUT_REASON}, which typically implies that the poll loop is spending too much time processing messages. You can address this either by increasing max.poll.interval.ms or by reducing the maximum size of batches returned in poll() with max.poll.records.`;

export class PollTimeout {
  /**
   * @param maxPollInterval ms a handler call may run; null for no limit (kafkajs's behaviour).
   * @param onExpired called once for a call that passed the limit, while it is still running.
   */
  constructor(
    private readonly maxPollInterval: number | null,
    private readonly onExpired: (session: Session) => void,
  ) {}

  /** Runs one handler call of `session` under the limit. */
  async watch<T>(session: Session, call: () => Promise<T>): Promise<T> {
    if (this.maxPollInterval === null) return call();
    const timer = setTimeout(() => this.onExpired(session), this.maxPollInterval);
    try {
      return await call();
    } finally {
      clearTimeout(timer);
    }
  }
}
