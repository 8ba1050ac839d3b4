// The timers of consumer-protocol members: the session (group.consumer.session.timeout.ms, renewed
// by every heartbeat; the member is fenced when it runs out) and the rebalance timeout (the
// member's rebalanceTimeoutMs, running while it has partitions to revoke; it is fenced if it has
// not revoked them by then). Each lives in one slot on its member; starting one cancels the slot's
// previous timer, and a timer that fires after it was replaced or stopped does nothing.
//
// Ownership: the slots belong to the member, which its group's serial queue owns (coordinator.ts).
// Methods here are called from that queue; a firing timer never touches the group itself but
// queues its task there (`queueTimerTask`), and the task first checks that its timer is still the
// one in the slot and the member still in the group.

import type { ConsumerGroup, ConsumerGroupMember } from "./consumer-group.ts";
import type { Scheduler } from "./scheduler.ts";

/** Runs the task later in the group's queue, unless the coordinator has let go of the group meanwhile. */
export type QueueConsumerGroupTask = (group: ConsumerGroup, task: () => void) => void;

export class ConsumerGroupTimers {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly queueTimerTask: QueueConsumerGroupTask,
  ) {}

  startSession(group: ConsumerGroup, member: ConsumerGroupMember, timeoutMs: number, onExpired: () => void): void {
    member.sessionTimer?.cancel();
    const timer = this.scheduler.setTimer(timeoutMs, () =>
      this.queueTimerTask(group, () => {
        if (member.sessionTimer !== timer || group.members.get(member.memberId) !== member) return;
        member.sessionTimer = null;
        onExpired();
      }),
    );
    member.sessionTimer = timer;
  }

  /** Starts the revocation deadline unless one runs already (it is not pushed back by heartbeats). */
  startRebalanceIfIdle(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    timeoutMs: number,
    onExpired: () => void,
  ): void {
    if (member.rebalanceTimer !== null) return;
    const timer = this.scheduler.setTimer(timeoutMs, () =>
      this.queueTimerTask(group, () => {
        if (member.rebalanceTimer !== timer || group.members.get(member.memberId) !== member) return;
        member.rebalanceTimer = null;
        onExpired();
      }),
    );
    member.rebalanceTimer = timer;
  }

  stopRebalance(member: ConsumerGroupMember): void {
    member.rebalanceTimer?.cancel();
    member.rebalanceTimer = null;
  }

  stopMember(member: ConsumerGroupMember): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = null;
    this.stopRebalance(member);
  }

  stopAll(group: ConsumerGroup): void {
    for (const member of group.members.values()) this.stopMember(member);
  }
}
