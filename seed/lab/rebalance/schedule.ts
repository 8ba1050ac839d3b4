// The rebalance lab's churn schedule: what happens to the ledger group, and when, while the
// workload runs. The same seed gives the same schedule, so every variant lives through the very
// same churn: a fifth member joins, one member leaves cleanly (SIGTERM), one crashes (SIGKILL) and
// one restarts (stopped, then started again with the same identity), in that order. The seed picks
// which members and jitters the times; the settling time after each kind of action is the
// caller's (see ScheduleOptions.settleMs).
//
// Owner of mutable state: none (pure).
import { seededRandom } from "../../load/workload.ts";

export const churnKinds = ["join", "leave", "crash", "restart"] as const;
export type ChurnKind = (typeof churnKinds)[number];

export interface ChurnAction {
  /** When, in ms from the start of the churn. */
  atMs: number;
  kind: ChurnKind;
  member: string;
}

export interface ChurnSchedule {
  seed: number;
  /** The members running when the churn starts. */
  initialMembers: string[];
  actions: ChurnAction[];
  /** How long the churn lasts: the last action, then its settling time. */
  durationMs: number;
}

export interface ScheduleOptions {
  seed: number;
  /** Members at the start (m1…mN); the joiner is m(N+1). At least 3: one leaves, one crashes, one restarts. */
  members: number;
  /** Before the first action. */
  leadMs: number;
  /**
   * After each kind of action, before the next one (or the end). A static member's leaving is
   * noticed only at its session timeout: the crash should come after that. The restart is meant to
   * come while the crashed member still counts (before its session times out): an eager rebalance
   * then waits for that session, with every member stopped, while cooperative members consume on
   * and a static member's restart needs no rebalance at all.
   */
  settleMs: Record<ChurnKind, number>;
  /** Each action comes up to this much later than its slot. */
  jitterMs: number;
}

export const memberName = (n: number): string => `m${n}`;

export function churnSchedule(options: ScheduleOptions): ChurnSchedule {
  const { seed, members, leadMs, settleMs, jitterMs } = options;
  if (!Number.isInteger(members) || members < 3) throw new RangeError("the churn needs at least 3 members");
  const random = seededRandom(seed);
  const initialMembers = Array.from({ length: members }, (_, i) => memberName(i + 1));
  const candidates = [...initialMembers];
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const [leaver, crasher, restarter] = candidates as [string, string, string];
  const who: Record<ChurnKind, string> = {
    join: memberName(members + 1),
    leave: leaver,
    crash: crasher,
    restart: restarter,
  };
  let slot = leadMs;
  const actions = churnKinds.map((kind) => {
    const action = { atMs: slot + Math.floor(random() * jitterMs), kind, member: who[kind] };
    slot += settleMs[kind];
    return action;
  });
  const last = actions[actions.length - 1]!;
  return { seed, initialMembers, actions, durationMs: last.atMs + settleMs[last.kind] };
}
