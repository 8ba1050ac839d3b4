// The verifier: what the ledger applied, compared per user with what was issued and with a
// sequential replay of the user's commands in issue order (the truth the user means).
import type { IssuedCommand } from "../load/workload.ts";

/** One row of the ledger, in applied order. */
export interface AppliedEntry {
  commandId: string;
  userId: string;
  status: "applied" | "rejected";
  balanceAfter: number;
}

export interface Anomalies {
  /** Applications of a command after a later command (higher seq) of the same user. */
  outOfOrder: number;
  /** Deductions rejected that the sequential replay accepts. */
  wrongRejections: number;
  /** Deductions applied that the sequential replay rejects. */
  wrongAcceptances: number;
  /** Users whose final balance differs from the replay's. */
  balanceDrift: number;
  /** Sum over users of |final balance - replay balance|. */
  balanceDriftPoints: number;
  /** Entries beyond the first for one commandId. */
  duplicates: number;
  /** Issued commands with no entry. */
  lost: number;
  /** Entries for commands that were never issued. */
  unknown: number;
  /** Entries, or stored account balances, below zero: a deduction may never overdraw. */
  negativeBalances: number;
  /** Users whose stored account balance differs from the replay's (counted when the accounts are given). */
  accountDrift: number;
}

export interface Verification {
  commands: number;
  applied: number;
  users: number;
  anomalies: Anomalies;
  /** A few examples per kind, to show what went wrong. */
  examples: Partial<Record<keyof Anomalies, string[]>>;
}

const MAX_EXAMPLES = 5;

export function sequentialReplay(
  commands: IssuedCommand[],
  opening = 0,
): { outcomes: Map<string, "applied" | "rejected">; balance: number } {
  const outcomes = new Map<string, "applied" | "rejected">();
  let balance = opening;
  for (const command of [...commands].sort((a, b) => a.seq - b.seq)) {
    if (command.type === "charge") {
      balance += command.amount;
      outcomes.set(command.commandId, "applied");
    } else if (command.amount <= balance) {
      balance -= command.amount;
      outcomes.set(command.commandId, "applied");
    } else {
      outcomes.set(command.commandId, "rejected");
    }
  }
  return { outcomes, balance };
}

/** Every anomaly count at zero: what a clean run reports. */
export function noAnomalies(): Anomalies {
  return {
    outOfOrder: 0,
    wrongRejections: 0,
    wrongAcceptances: 0,
    balanceDrift: 0,
    balanceDriftPoints: 0,
    duplicates: 0,
    lost: 0,
    unknown: 0,
    negativeBalances: 0,
    accountDrift: 0,
  };
}

/**
 * `accounts`: the ledger's stored balance per user (a user without one has 0), compared with the
 * replay too; without it only the entries are checked.
 */
export function verify(
  issued: IssuedCommand[],
  applied: AppliedEntry[],
  openingBalances: ReadonlyMap<string, number> = new Map(),
  accounts?: ReadonlyMap<string, number>,
): Verification {
  const anomalies = noAnomalies();
  const examples: Verification["examples"] = {};
  const note = (kind: keyof Anomalies, text: string) => {
    const list = (examples[kind] ??= []);
    if (list.length < MAX_EXAMPLES) list.push(text);
  };

  const issuedById = new Map(issued.map((c) => [c.commandId, c]));
  const issuedByUser = groupBy(issued, (c) => c.userId);
  const appliedByUser = groupBy(applied, (e) => e.userId);

  for (const [userId, commands] of issuedByUser) {
    const opening = openingBalances.get(userId) ?? 0;
    const replay = sequentialReplay(commands, opening);
    const seen = new Set<string>();
    let highestSeq = -1;
    let finalBalance = opening;
    for (const entry of appliedByUser.get(userId) ?? []) {
      const command = issuedById.get(entry.commandId);
      if (!command || command.userId !== userId) {
        anomalies.unknown++;
        note("unknown", `${entry.commandId} was applied for ${userId} but never issued for that user`);
        continue;
      }
      // The balance a user ends with is the ledger's last word, duplicates included.
      finalBalance = entry.balanceAfter;
      if (entry.balanceAfter < 0) {
        anomalies.negativeBalances++;
        note("negativeBalances", `${userId}: balance ${entry.balanceAfter} after ${entry.commandId}`);
      }
      if (seen.has(entry.commandId)) {
        anomalies.duplicates++;
        note("duplicates", `${entry.commandId} applied again`);
        continue;
      }
      seen.add(entry.commandId);
      if (command.seq < highestSeq) {
        anomalies.outOfOrder++;
        note("outOfOrder", `${userId}: #${command.seq} applied after #${highestSeq}`);
      }
      highestSeq = Math.max(highestSeq, command.seq);
      const expected = replay.outcomes.get(entry.commandId);
      if (command.type === "deduct" && expected !== entry.status) {
        if (entry.status === "rejected") {
          anomalies.wrongRejections++;
          note(
            "wrongRejections",
            `${userId}: deduction #${command.seq} of ${command.amount} rejected; in order it fits`,
          );
        } else {
          anomalies.wrongAcceptances++;
          note(
            "wrongAcceptances",
            `${userId}: deduction #${command.seq} of ${command.amount} applied; in order it does not fit`,
          );
        }
      }
    }
    for (const command of commands) {
      if (!seen.has(command.commandId)) {
        anomalies.lost++;
        note("lost", `${userId}: #${command.seq} (${command.commandId}) never applied`);
      }
    }
    if (finalBalance !== replay.balance) {
      anomalies.balanceDrift++;
      anomalies.balanceDriftPoints += Math.abs(finalBalance - replay.balance);
      note("balanceDrift", `${userId}: balance ${finalBalance}, in order ${replay.balance}`);
    }
    if (accounts) {
      const stored = accounts.get(userId) ?? 0;
      if (stored < 0) {
        anomalies.negativeBalances++;
        note("negativeBalances", `${userId}: account balance ${stored}`);
      }
      if (stored !== replay.balance) {
        anomalies.accountDrift++;
        note("accountDrift", `${userId}: account balance ${stored}, in order ${replay.balance}`);
      }
    }
  }
  for (const [userId, entries] of appliedByUser) {
    if (issuedByUser.has(userId)) continue;
    anomalies.unknown += entries.length;
    note("unknown", `${entries.length} entries for ${userId}, who issued nothing`);
  }
  return { commands: issued.length, applied: applied.length, users: issuedByUser.size, anomalies, examples };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
