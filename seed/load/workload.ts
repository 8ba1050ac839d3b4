// A deterministic points workload: the same seed gives the same commands, byte for byte, so every
// lab mode runs the very same thing. Per user, the commands form a story whose outcome depends on
// order: a charge, then deductions that spend what earlier charges brought (often all of it), an
// occasional deduction the balance cannot cover. Issue order per user (seq) is the order the user
// means; applied in another order, deductions get rejected or accepted wrongly.
import type { CommandType } from "../../apps/shared/topics.ts";

export interface WorkloadOptions {
  users: number;
  commands: number;
  seed: number;
  /** Users are `${userPrefix}0001`…; default "load-user-". */
  userPrefix?: string;
  storeIds?: string[];
}

export interface IssuedCommand {
  /**
   * Sorts in issue order (`s<seed>-<position, 9 digits>-<user>-<seq>`), as a terminal's time-ordered
   * ids would (UUIDv7): the services index commands and events by this id, and a B-tree takes ids that
   * grow at its right edge, where random ones would dirty a page each (submit-command.ts).
   */
  commandId: string;
  userId: string;
  /** 0-based position in the user's own sequence. */
  seq: number;
  type: CommandType;
  amount: number;
  storeId: string;
  /** The store's first terminal, named as the demo seeds them. */
  terminalId: string;
}

export interface Workload {
  seed: number;
  users: string[];
  /** In global issue order: one user's commands appear in seq order. */
  commands: IssuedCommand[];
}

/** mulberry32: tiny, fast and good enough to make a workload reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function workloadUserIds(count: number, prefix = "load-user-"): string[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, "0")}`);
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const { users: userCount, commands: total, seed } = options;
  if (!Number.isInteger(userCount) || userCount < 1) throw new RangeError("users must be a positive integer");
  if (!Number.isInteger(total) || total < 1) throw new RangeError("commands must be a positive integer");
  const storeIds = options.storeIds ?? ["store-1", "store-2", "store-3", "store-4", "store-5"];
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const users = workloadUserIds(userCount, options.userPrefix);

  // Commands per user differ by at most one; the global order interleaves users at random.
  const remaining = users.map((_, i) => Math.floor(total / userCount) + (i < total % userCount ? 1 : 0));
  const order: number[] = remaining.flatMap((n, user) => Array<number>(n).fill(user));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }

  // What each user's balance would be after a sequential replay: deductions are sized from it.
  const balance = new Array<number>(userCount).fill(0);
  const lastCharge = new Array<number>(userCount).fill(0);
  const seq = new Array<number>(userCount).fill(0);
  const commands: IssuedCommand[] = [];
  for (const user of order) {
    const userId = users[user]!;
    const n = seq[user]!++;
    const storeId = pick(storeIds);
    let type: CommandType;
    let amount: number;
    const roll = random();
    if (n === 0 || balance[user] === 0 || roll < 0.45) {
      type = "charge";
      amount = 10 * (10 + Math.floor(random() * 91)); // 100..1000
      lastCharge[user] = amount;
    } else if (roll < 0.9) {
      // Spend what the last charge brought (or all that is left): valid only after that charge.
      type = "deduct";
      amount = Math.min(balance[user]!, Math.max(lastCharge[user]!, 10));
    } else {
      // A little more than the balance: rejected in any order that keeps the balance as is.
      type = "deduct";
      amount = balance[user]! + 10 * (1 + Math.floor(random() * 10));
    }
    if (type === "charge") balance[user]! += amount;
    else if (amount <= balance[user]!) balance[user]! -= amount;
    commands.push({
      commandId: `s${seed}-${String(commands.length).padStart(9, "0")}-${userId}-${n}`,
      userId,
      seq: n,
      type,
      amount,
      storeId,
      terminalId: `${storeId}-pos-1`,
    });
  }
  return { seed, users, commands };
}
