// The scaling lab's per-user order check: were each user's commands consumed in the order they were
// produced? Keying by userId puts all of a user's commands on one partition, and a partition is
// consumed by one member at a time, in offset order; so however many members share the work, a
// user's commands should come in seq order (0, 1, 2, …), each once.
//
// The lab stops consuming at the end of a measuring window, so what a user got is a prefix of what
// was produced: the check is about the order of what was consumed, not about whether all of it was.
//
// Owner of mutable state: none (each call builds its own tally).

/** One consumed command, in the order the group consumed them. */
export interface ConsumedCommand {
  userId: string;
  /** 0-based position in the user's own sequence, as produced. */
  seq: number;
}

export interface OrderCheck {
  /** Commands checked. */
  commands: number;
  /** Users with at least one command consumed. */
  users: number;
  /** A user's command consumed before an earlier one of theirs: the anomaly keying must prevent. */
  outOfOrder: number;
  /** A user's command consumed again after a later one (at-least-once redelivery after a move). */
  redelivered: number;
  /** A few anomalies in words, for the report. */
  examples: string[];
}

const MAX_EXAMPLES = 5;

export function checkUserOrder(consumed: Iterable<ConsumedCommand>): OrderCheck {
  /** Per user: the seqs consumed so far, and the lowest one not consumed yet. */
  const users = new Map<string, { seen: Set<number>; next: number }>();
  const check: OrderCheck = { commands: 0, users: 0, outOfOrder: 0, redelivered: 0, examples: [] };
  for (const { userId, seq } of consumed) {
    check.commands++;
    let user = users.get(userId);
    if (!user) users.set(userId, (user = { seen: new Set(), next: 0 }));
    if (user.seen.has(seq)) {
      check.redelivered++;
      continue;
    }
    if (seq !== user.next) {
      check.outOfOrder++;
      if (check.examples.length < MAX_EXAMPLES)
        check.examples.push(`${userId}: command #${seq} consumed before #${user.next}`);
    }
    user.seen.add(seq);
    while (user.seen.has(user.next)) user.next++;
  }
  check.users = users.size;
  return check;
}
