// The timers of classic groups (Kafka keeps them as delayed operations in its heartbeat and join
// purgatories): a member's session, a group's rebalance (or initial delay) and a handed-out member
// id waiting to be used. Each timer lives in one slot on its group or member; starting one cancels
// the slot's previous timer, and a timer that fires after it was replaced or stopped does nothing.
//
// Ownership: the slots belong to each group's state, which that group's serial queue owns
// (coordinator.ts). Methods here are called from that queue; a firing timer never touches the
// group itself but queues its task there (`queueTimerTask`), and the task first checks that its
// timer is still the one in the slot.

import type { Group, GroupMember } from "./group.ts";
import type { Scheduler } from "./scheduler.ts";

export type QueueTimerTask = (group: Group, task: () => void) => void;

export class GroupTimers {
  constructor(
    private readonly scheduler: Scheduler,
    /** Runs the task later in the group's queue, unless the coordinator has let go of the group meanwhile. */
    private readonly queueTimerTask: QueueTimerTask,
  ) {}

  /** Expires the member after its session timeout unless restarted or stopped first. */
  startSession(group: Group, member: GroupMember, onExpired: () => void): void {
    this.stopSession(member);
    const timer = this.scheduler.setTimer(member.sessionTimeoutMs, () =>
      this.queueTimerTask(group, () => {
        if (member.sessionTimer !== timer || group.members.get(member.memberId) !== member) return;
        member.sessionTimer = null;
        onExpired();
      }),
    );
    member.sessionTimer = timer;
  }

  stopSession(member: GroupMember): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = null;
  }

  /** The group has one rebalance timer: the rebalance timeout or a step of the initial delay. */
  startRebalance(group: Group, delayMs: number, onElapsed: () => void): void {
    this.stopRebalance(group);
    const timer = this.scheduler.setTimer(delayMs, () =>
      this.queueTimerTask(group, () => {
        if (group.rebalanceTimer !== timer) return;
        group.rebalanceTimer = null;
        onElapsed();
      }),
    );
    group.rebalanceTimer = timer;
  }

  stopRebalance(group: Group): void {
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
  }

  /** Holds a handed-out member id for `delayMs`; `onExpired` runs if it was not claimed (`claimPendingMember`) by then. */
  holdPendingMember(group: Group, memberId: string, delayMs: number, onExpired: () => void): void {
    const timer = this.scheduler.setTimer(delayMs, () =>
      this.queueTimerTask(group, () => {
        if (group.pendingMemberTimers.get(memberId) !== timer) return;
        group.pendingMemberTimers.delete(memberId);
        onExpired();
      }),
    );
    group.pendingMemberTimers.set(memberId, timer);
  }

  /** Whether `memberId` was a pending id; if so it is no longer pending. */
  claimPendingMember(group: Group, memberId: string): boolean {
    const timer = group.pendingMemberTimers.get(memberId);
    if (timer === undefined) return false;
    timer.cancel();
    group.pendingMemberTimers.delete(memberId);
    return true;
  }

  /** Cancels every timer of the group and its members. */
  stopAll(group: Group): void {
    this.stopRebalance(group);
    for (const timer of group.pendingMemberTimers.values()) timer.cancel();
    group.pendingMemberTimers.clear();
    for (const member of group.members.values()) this.stopSession(member);
  }
}
