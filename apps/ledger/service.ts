// The ledger consumer: applies points.commands (keyed by userId, so one user's commands are applied
// in order) to Account and LedgerEntry, and emits one outcome event per command on points.events.
//
// Per group of fetched batches (group-commit.ts): one database transaction (apply-batch.ts), then
// the group's outcome events are produced and awaited (publish-outcomes.ts), then the frame commits
// the offsets. A crash between any two of these steps redelivers the batch; its commands are then
// found already processed and their stored outcomes are emitted again (consumers of points.events
// dedupe by eventId), so nothing is applied twice or left unsaid. In the transactional mode
// (LEDGER_TRANSACTIONS=on, transactional-outcomes.ts) the events and the offsets commit together
// in one Kafka transaction instead, after the database commit; the frame then commits nothing.
//
// Metrics (in the frame's registry, see apps/shared/metrics.ts): commands by outcome
// (points_ledger_commands_total) and the time of each transaction (points_ledger_transaction_seconds).
//
// Owner of mutable state: the definition returned by createLedgerService (its producer, repository,
// pipeline, counters and metrics); one definition serves one running service.

import { Counter, type Histogram } from "prom-client";
import type { ConsumerServiceDefinition, ServiceContext } from "../shared/consumer-service.ts";
import { ensureTopics } from "../shared/consumer-service.ts";
import { ownerDatabaseUrl } from "../shared/db/service-databases.ts";
import { groupCommit } from "../shared/group-commit.ts";
import { secondsHistogram } from "../shared/metrics.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../shared/topics.ts";
import { applyBatch, type LedgerRepository } from "./apply-batch.ts";
import { parseCommandMessage } from "./commands.ts";
import { createEventLog, type EventLog, eventLogPathFrom } from "./event-log.ts";
import { crashAfterCommit, exitAfterDbCommitFrom } from "./fault-injection.ts";
import { type LedgerGroupOptions, ledgerConsumerOptions, ledgerGroupOptionsFrom } from "./group-options.ts";
import type { BatchPlan, SourcedCommand } from "./plan-batch.ts";
import { publishOutcomes } from "./publish-outcomes.ts";
import { createLedgerRepository, type LedgerDatabase, openLedgerDatabase } from "./repository.ts";
import {
  type ConsumedOffset,
  ledgerTransactionalId,
  publishInTransaction,
  transactionsFrom,
} from "./transactional-outcomes.ts";
import { applyDealt, unsafeWorkersFrom } from "./unsafe-workers.ts";

export interface LedgerOptions {
  /** Crash after this database commit (fault-injection.ts); from LEDGER_FAULT_EXIT_AFTER_DB_COMMIT. */
  exitAfterDbCommit?: number;
  /** The lab's parallel-unsafe mode with this many workers (unsafe-workers.ts); from LEDGER_UNSAFE_WORKERS. */
  unsafeWorkers?: number;
  /** How it takes part in the group (group-options.ts); from LEDGER_GROUP_PROTOCOL, LEDGER_ASSIGNOR, LEDGER_INSTANCE_ID, LEDGER_SESSION_TIMEOUT_MS. */
  group?: LedgerGroupOptions;
  /** Where to append assignment changes and redeliveries (event-log.ts); from LEDGER_EVENT_LOG. */
  eventLog?: string;
  /** Waited on before each batch is applied: the stall SIGUSR1 arms (stall.ts; main.ts sets it up). */
  stall?: { beforeBatch(): Promise<void> };
  /** The topic of commands; points.commands unless the config says otherwise (COMMANDS_TOPIC, after a migration). */
  commandsTopic?: string;
  /** Outcome events and consumed offsets in one Kafka transaction (transactional-outcomes.ts); from LEDGER_TRANSACTIONS. */
  transactional?: boolean;
}

export function ledgerOptionsFrom(env: NodeJS.ProcessEnv): LedgerOptions {
  const options: LedgerOptions = {};
  const exitAfterDbCommit = exitAfterDbCommitFrom(env);
  if (exitAfterDbCommit !== undefined) options.exitAfterDbCommit = exitAfterDbCommit;
  const unsafeWorkers = unsafeWorkersFrom(env);
  if (unsafeWorkers !== undefined) options.unsafeWorkers = unsafeWorkers;
  const group = ledgerGroupOptionsFrom(env);
  if (Object.keys(group).length > 0) options.group = group;
  const eventLog = eventLogPathFrom(env);
  if (eventLog !== undefined) options.eventLog = eventLog;
  if (transactionsFrom(env)) options.transactional = true;
  return options;
}

interface LedgerCounters {
  applied: number;
  rejected: number;
  /** Outcomes emitted again because their command was already processed (a redelivery). */
  reemitted: number;
  /** Messages that were not a valid command, skipped. */
  invalid: number;
}

type Producer = ReturnType<ServiceContext["kafka"]["producer"]>;

/** One fetched batch's commands and where the batch ends (its offset commit in the transactional mode). */
interface LedgerBatch {
  commands: SourcedCommand[];
  consumed: ConsumedOffset;
}

/** A committed group: its plan, and the batches' ends it consumed. */
interface CommittedGroup {
  plan: BatchPlan;
  consumed: ConsumedOffset[];
}

/** Outcomes of the commands the ledger reads: a label of points_ledger_commands_total. */
type CommandOutcome = "applied" | "rejected" | "already_processed" | "invalid";

interface LedgerMetrics {
  commands: Counter<"outcome">;
  transactionSeconds: Histogram;
}

export function createLedgerService(options: LedgerOptions = {}): ConsumerServiceDefinition {
  let producer: Producer | undefined;
  let repository: LedgerRepository | undefined;
  let sqlite: LedgerDatabase | undefined;
  let afterCommit: (() => Promise<void>) | undefined;
  const counters: LedgerCounters = { applied: 0, rejected: 0, reemitted: 0, invalid: 0 };
  let metrics: LedgerMetrics | undefined;
  const count = (outcome: CommandOutcome, n: number): void => {
    if (n > 0) metrics?.commands.inc({ outcome }, n);
  };
  // Refused here, at start, when the client cannot honour a group setting.
  const consumerOptions = ledgerConsumerOptions(options.group ?? {});
  const eventLog: EventLog | undefined = options.eventLog
    ? createEventLog(options.eventLog, options.group?.instanceId ?? null)
    : undefined;

  /** One transaction for the commands (or the unsafe mode's several); the fault hook runs right after. */
  async function commit(commands: SourcedCommand[]): Promise<BatchPlan> {
    const timer = metrics?.transactionSeconds.startTimer();
    const plan = options.unsafeWorkers
      ? await applyDealt(commands, options.unsafeWorkers, (share) => applyBatch(share, new Date(), repository!))
      : await applyBatch(commands, new Date(), repository!);
    timer?.();
    await afterCommit?.();
    const before = { applied: counters.applied, rejected: counters.rejected };
    for (const entry of plan.newEntries) {
      if (entry.status === "applied") counters.applied++;
      else counters.rejected++;
    }
    counters.reemitted += plan.alreadyProcessed;
    count("applied", counters.applied - before.applied);
    count("rejected", counters.rejected - before.rejected);
    count("already_processed", plan.alreadyProcessed);
    eventLog?.redelivered(plan.alreadyProcessed);
    return plan;
  }

  const commandsTopic = options.commandsTopic ?? COMMANDS_TOPIC;
  const groupId = "ledger";
  const emit = ({ plan, consumed }: CommittedGroup) =>
    options.transactional
      ? publishInTransaction(producer!, groupId, plan.outcomes, consumed)
      : publishOutcomes(producer!, plan.outcomes);
  const commitGroup = async (batches: LedgerBatch[]): Promise<CommittedGroup> => {
    const commands = batches.flatMap((b) => b.commands);
    const consumed = batches.map((b) => b.consumed);
    // Only offsets to commit (every message invalid): no database transaction to run.
    return { plan: commands.length > 0 ? await commit(commands) : emptyPlan(), consumed };
  };

  // The unsafe mode keeps its own (broken) dealing; normal runs group concurrent partitions' batches.
  const grouped = groupCommit(commitGroup, emit);
  const apply = options.unsafeWorkers
    ? async (batch: LedgerBatch) => emit(await commitGroup([batch]))
    : (batch: LedgerBatch) => grouped([batch]);

  return {
    name: "ledger",
    groupId,
    topic: commandsTopic,
    consumerOptions,
    commitsOffsets: options.transactional === true,

    instrument(consumer) {
      eventLog?.watch(consumer, commandsTopic);
    },

    async setup(ctx) {
      metrics = {
        commands: new Counter({
          name: "points_ledger_commands_total",
          help: "Commands read by the ledger, by outcome: applied, rejected (e.g. insufficient balance), already_processed (a redelivery, outcome re-emitted) or invalid (skipped)",
          labelNames: ["outcome"],
          registers: [ctx.metrics],
        }),
        transactionSeconds: secondsHistogram(
          ctx.metrics,
          "points_ledger_transaction_seconds",
          "Time of each database transaction applying a group of batches",
        ),
      };
      await ensureTopics(ctx.kafka, [EVENTS_TOPIC], ctx.config.partitions);
      // Both clients keep an idempotent producer's sequence numbers in order themselves (kafkajs by
      // one request in flight per broker), so concurrent partitions may send at once. A
      // transactional producer sends one transaction at a time (group-commit.ts emits serially).
      producer = options.transactional
        ? ctx.kafka.producer({
            transactionalId: ledgerTransactionalId(options.group?.instanceId),
            idempotent: true,
            maxInFlightRequests: 1,
          })
        : ctx.kafka.producer({ idempotent: true });
      await producer.connect();
      // The batch transaction runs on better-sqlite3 directly (repository.ts), not on ctx.db (Prisma).
      sqlite = openLedgerDatabase(ownerDatabaseUrl(ctx.config.databaseUrl, "ledger"));
      repository = createLedgerRepository(sqlite);
      if (options.exitAfterDbCommit !== undefined) afterCommit = crashAfterCommit(options.exitAfterDbCommit, ctx.log);
    },

    async handleBatch(batch, ctx) {
      const commands: SourcedCommand[] = [];
      for (const message of batch.messages) {
        const parsed = parseCommandMessage(message, batch.topic, batch.partition, ctx.config.maxAmount);
        if (parsed.ok) {
          commands.push(parsed.command);
          continue;
        }
        counters.invalid++;
        count("invalid", 1);
        ctx.log.info(
          `skipped invalid command at ${batch.topic}/${batch.partition}@${message.offset}: ${parsed.why} (${counters.invalid} skipped so far)`,
        );
      }
      // In the transactional mode a batch of only invalid messages still has offsets to commit.
      if (commands.length === 0 && !options.transactional) return;
      const last = batch.messages[batch.messages.length - 1]!;
      const consumed = { topic: batch.topic, partition: batch.partition, nextOffset: BigInt(last.offset) + 1n };

      await options.stall?.beforeBatch();
      await apply({ commands, consumed });
    },

    async teardown(ctx) {
      await producer?.disconnect();
      sqlite?.close();
      const { applied, rejected, reemitted, invalid } = counters;
      ctx.log.info(`applied ${applied}, rejected ${rejected}, re-emitted ${reemitted}, skipped ${invalid} invalid`);
    },
  };
}

function emptyPlan(): BatchPlan {
  return { newEntries: [], accountWrites: [], outcomes: [], alreadyProcessed: 0, repeatedInBatch: 0 };
}
