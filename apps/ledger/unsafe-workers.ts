// The ordering lab's "parallel-unsafe" mode, a deliberate bug (LEDGER_UNSAFE_WORKERS=n, n > 1):
// each fetched batch is dealt out round-robin to n concurrent workers, each applying its share in
// a transaction of its own, so one partition's (one user's) commands are no longer applied in
// offset order. `npm run lab` shows what that breaks; normal runs never take this path.
// Holds no state.
import { optionalIntFrom } from "../shared/config.ts";
import type { BatchPlan, SourcedCommand } from "./plan-batch.ts";

/** The number of workers LEDGER_UNSAFE_WORKERS asks for; undefined when unset or 1 (the safe ledger). */
export function unsafeWorkersFrom(env: NodeJS.ProcessEnv): number | undefined {
  const workers = optionalIntFrom(env, "LEDGER_UNSAFE_WORKERS", 1);
  return workers !== undefined && workers > 1 ? workers : undefined;
}

/** The dealing: command i goes to worker i % workers. */
export function dealRoundRobin<T>(items: readonly T[], workers: number): T[][] {
  const hands: T[][] = Array.from({ length: Math.min(workers, items.length) }, () => []);
  for (let i = 0; i < items.length; i++) hands[i % hands.length]!.push(items[i]!);
  return hands;
}

/** The workers' plans as one: each part in worker order. */
export function mergePlans(plans: BatchPlan[]): BatchPlan {
  return {
    newEntries: plans.flatMap((p) => p.newEntries),
    accountWrites: plans.flatMap((p) => p.accountWrites),
    outcomes: plans.flatMap((p) => p.outcomes),
    alreadyProcessed: plans.reduce((n, p) => n + p.alreadyProcessed, 0),
    repeatedInBatch: plans.reduce((n, p) => n + p.repeatedInBatch, 0),
  };
}

/** Deals the commands to `workers` concurrent calls of `apply` and merges what they decided. */
export async function applyDealt(
  commands: readonly SourcedCommand[],
  workers: number,
  apply: (share: SourcedCommand[]) => Promise<BatchPlan>,
): Promise<BatchPlan> {
  return mergePlans(await Promise.all(dealRoundRobin(commands, workers).map(apply)));
}
