// The floor under the ledger's rate: its SQLite work alone, no Kafka. The same repository the ledger
// runs (apps/ledger/repository.ts: its connection settings, prepared statements and transactions)
// on a fresh file migrated like the system's, fed the same workload in transactions of the batch
// size the ledger ran with. The commands' outcomes are decided beforehand (planBatch against a
// running tally, as the ledger would find them), so the timed loop is the transaction only:
// BEGIN IMMEDIATE, the reads of stored entries and balances, the inserts, the account writes, COMMIT
// (the same calls apply-batch.ts makes).
// CPU per command is this process's utime+stime over the loop, so 10^6 / it is the most commands/s
// SQLite alone allows on one core, whatever the rest of the ledger does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BatchPlan, planBatch, type SourcedCommand } from "../apps/ledger/plan-batch.ts";
import { createLedgerRepository, openLedgerDatabase } from "../apps/ledger/repository.ts";
import { migrate } from "../apps/shared/db/client.ts";
import { COMMANDS_TOPIC } from "../apps/shared/topics.ts";
import type { IssuedCommand } from "../seed/load/workload.ts";

export interface LedgerFloor {
  commands: number;
  /** Commands per transaction, as the ledger's run had them on average. */
  batchSize: number;
  transactions: number;
  /** utime+stime of the SQLite work per command, µs. */
  sqliteCpuUsPerCommand: number;
  /** 10^6 / sqliteCpuUsPerCommand: the most commands/s SQLite alone allows on one core. */
  commandsPerSecOneCore: number;
  /** Wall time of the loop per command, µs (fsync waits included). */
  sqliteWallUsPerCommand: number;
}

/** Runs the workload's commands through the ledger's repository in transactions of `batchSize`. */
export async function measureLedgerFloor(
  issued: readonly IssuedCommand[],
  partitions: number,
  batchSize: number,
): Promise<LedgerFloor> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-ledger-floor-"));
  const databaseUrl = `file:${path.join(dir, "points.db")}`;
  try {
    migrate(databaseUrl);
    const batches = plannedBatches(issued, partitions, Math.max(1, Math.round(batchSize)));
    const db = openLedgerDatabase(databaseUrl);
    try {
      const repository = createLedgerRepository(db);
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      for (const { commandIds, userIds, plan, appliedAt } of batches)
        await repository.inTransaction(async (store) => {
          await store.findEntries(commandIds);
          await store.findBalances(userIds);
          await store.insertEntries(plan.newEntries, appliedAt);
          await store.writeAccounts(plan.accountWrites, appliedAt);
        });
      const wall = performance.now() - wallBefore;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuUs = (cpu.user + cpu.system) / issued.length;
      return {
        commands: issued.length,
        batchSize: Math.round(batchSize),
        transactions: batches.length,
        sqliteCpuUsPerCommand: Number(cpuUs.toFixed(2)),
        commandsPerSecOneCore: Math.round(1e6 / cpuUs),
        sqliteWallUsPerCommand: Number(((wall * 1000) / issued.length).toFixed(2)),
      };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PlannedBatch {
  commandIds: string[];
  userIds: string[];
  plan: BatchPlan;
  appliedAt: Date;
}

/**
 * The workload as the ledger meets it: keyed by user over the partitions (each user's commands in
 * order), cut into batches, each batch's outcomes decided against the balances so far.
 */
function plannedBatches(issued: readonly IssuedCommand[], partitions: number, batchSize: number): PlannedBatch[] {
  const partitionOf = new Map<string, number>();
  const offsets = new Array<bigint>(partitions).fill(0n);
  const issuedAt = new Date().toISOString();
  const sourced: SourcedCommand[] = issued.map((c) => {
    let partition = partitionOf.get(c.userId);
    if (partition === undefined) partitionOf.set(c.userId, (partition = partitionOf.size % partitions));
    const offset = offsets[partition]!;
    offsets[partition] = offset + 1n;
    const { seq: _, ...command } = c;
    return { command: { ...command, issuedAt }, source: { topic: COMMANDS_TOPIC, partition, offset } };
  });
  const balances = new Map<string, number>();
  const batches: PlannedBatch[] = [];
  const start = Date.now();
  for (let i = 0; i < sourced.length; i += batchSize) {
    const commands = sourced.slice(i, i + batchSize);
    const appliedAt = new Date(start + batches.length);
    const plan = planBatch(commands, { processed: new Map(), balances }, appliedAt);
    for (const write of plan.accountWrites) balances.set(write.userId, write.balance);
    const commandIds = commands.map((c) => c.command.commandId);
    const userIds = [...new Set(commands.map((c) => c.command.userId))];
    batches.push({ commandIds, userIds, plan, appliedAt });
  }
  return batches;
}
