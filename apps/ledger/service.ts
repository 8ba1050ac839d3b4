// The ledger consumer: applies points.commands (keyed by userId, so one user's commands are applied
// in order) to Account and LedgerEntry, and emits one outcome event per command on points.events.
//
// Per fetched batch: one database transaction, then the batch's outcome events are produced and
// awaited, then the frame commits the offsets. A crash between any two of these steps redelivers
// the batch; its commands are then found already processed and their stored outcomes are emitted
// again (consumers of points.events dedupe by eventId), so nothing is applied twice or left unsaid.
//
// Owner of mutable state: the definition returned by createLedgerService (its producer and its
// counters); one definition serves one running service.

import { optionalIntFrom } from "../shared/config.ts";
import type { ConsumerServiceDefinition, ServiceContext } from "../shared/consumer-service.ts";
import { ensureTopics } from "../shared/consumer-service.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../shared/topics.ts";
import type { BatchPlan, SourcedCommand } from "./apply.ts";
import { parseCommandMessage } from "./commands.ts";
import { groupCommit } from "./group-commit.ts";
import { createLedgerRepository, type LedgerRepository } from "./repository.ts";

export interface LedgerOptions {
  /**
   * Fault injection for tests of crash recovery: SIGKILL this process right after its n-th database
   * commit, before that batch's events are produced and its offsets committed.
   * From LEDGER_FAULT_EXIT_AFTER_DB_COMMIT; unset in normal runs.
   */
  exitAfterDbCommit?: number;
  /**
   * The ordering lab's "parallel-unsafe" mode, a deliberate bug: each fetched batch is dealt out
   * round-robin to this many concurrent workers, each applying its share in a transaction of its
   * own, so one partition's (one user's) commands are no longer applied in offset order.
   * From LEDGER_UNSAFE_WORKERS; unset (or 1) in normal runs.
   */
  unsafeWorkers?: number;
}

export function ledgerOptionsFrom(env: NodeJS.ProcessEnv): LedgerOptions {
  const options: LedgerOptions = {};
  const exitAfterDbCommit = optionalIntFrom(env, "LEDGER_FAULT_EXIT_AFTER_DB_COMMIT", 1);
  if (exitAfterDbCommit !== undefined) options.exitAfterDbCommit = exitAfterDbCommit;
  const unsafeWorkers = optionalIntFrom(env, "LEDGER_UNSAFE_WORKERS", 1);
  if (unsafeWorkers !== undefined && unsafeWorkers > 1) options.unsafeWorkers = unsafeWorkers;
  return options;
}

/** The unsafe mode's dealing: command i goes to worker i % workers. */
export function dealRoundRobin<T>(items: readonly T[], workers: number): T[][] {
  const hands: T[][] = Array.from({ length: Math.min(workers, items.length) }, () => []);
  for (let i = 0; i < items.length; i++) hands[i % hands.length]!.push(items[i]!);
  return hands;
}

interface LedgerCounters {
  applied: number;
  rejected: number;
  /** Outcomes emitted again because their command was already processed (a redelivery). */
  reemitted: number;
  /** Messages that were not a valid command, skipped. */
  invalid: number;
  dbCommits: number;
}

type Producer = ReturnType<ServiceContext["kafka"]["producer"]>;

/**
 * Bytes of keys and values per send. A send becomes one record batch per partition, and a batch
 * over the topic's max.message.bytes (1 MiB by default) is refused as a whole; a fetched batch of
 * commands (up to 1 MiB) has outcome events about twice its size.
 */
export const MAX_SEND_BYTES = 512 * 1024;

export function* sendSizedGroups<M extends { key: string; value: string }>(
  messages: M[],
  maxBytes = MAX_SEND_BYTES,
): Generator<M[]> {
  let group: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
    if (group.length > 0 && bytes + size > maxBytes) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += size;
  }
  if (group.length > 0) yield group;
}

function mergePlans(plans: BatchPlan[]): BatchPlan {
  return {
    newEntries: plans.flatMap((p) => p.newEntries),
    accountWrites: plans.flatMap((p) => p.accountWrites),
    outcomes: plans.flatMap((p) => p.outcomes),
    alreadyProcessed: plans.reduce((n, p) => n + p.alreadyProcessed, 0),
    repeatedInBatch: plans.reduce((n, p) => n + p.repeatedInBatch, 0),
  };
}

export function createLedgerService(options: LedgerOptions = {}): ConsumerServiceDefinition {
  let producer: Producer | undefined;
  let repository: LedgerRepository | undefined;
  const counters: LedgerCounters = { applied: 0, rejected: 0, reemitted: 0, invalid: 0, dbCommits: 0 };

  /** One transaction for the commands; the fault hook fires right after it. */
  async function commit(commands: SourcedCommand[], ctx: ServiceContext): Promise<BatchPlan> {
    const plan = options.unsafeWorkers
      ? mergePlans(
          await Promise.all(
            dealRoundRobin(commands, options.unsafeWorkers).map((share) => repository!.applyBatch(share, new Date())),
          ),
        )
      : await repository!.applyBatch(commands, new Date());
    counters.dbCommits++;
    if (options.exitAfterDbCommit === counters.dbCommits) {
      ctx.log.info(`fault injection: SIGKILL after database commit ${counters.dbCommits}`);
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => {}); // the signal may land a moment later: produce nothing meanwhile
    }
    for (const entry of plan.newEntries) {
      if (entry.status === "applied") counters.applied++;
      else counters.rejected++;
    }
    counters.reemitted += plan.alreadyProcessed;
    return plan;
  }

  /** The outcome events of a committed plan, one send after another so a user's stay in order. */
  async function emit(plan: BatchPlan): Promise<void> {
    for (const messages of sendSizedGroups(
      plan.outcomes.map((event) => ({ key: event.userId, value: JSON.stringify(event) })),
    )) {
      await producer!.send({ topic: EVENTS_TOPIC, acks: -1, messages });
    }
  }

  // The unsafe mode keeps its own (broken) dealing; normal runs group concurrent partitions' batches.
  let grouped: ((commands: SourcedCommand[]) => Promise<void>) | undefined;
  const apply = async (commands: SourcedCommand[], ctx: ServiceContext): Promise<void> => {
    if (options.unsafeWorkers) return emit(await commit(commands, ctx));
    grouped ??= groupCommit((all: SourcedCommand[]) => commit(all, ctx), emit);
    return grouped(commands);
  };

  return {
    name: "ledger",
    groupId: "ledger",
    topic: COMMANDS_TOPIC,

    async setup(ctx) {
      await ensureTopics(ctx.kafka, [EVENTS_TOPIC], ctx.config.partitions);
      // Both clients keep an idempotent producer's sequence numbers in order themselves (kafkajs by
      // one request in flight per broker), so concurrent partitions may send at once.
      producer = ctx.kafka.producer({ idempotent: true });
      await producer.connect();
      repository = createLedgerRepository(ctx.db);
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
        ctx.log.info(
          `skipped invalid command at ${batch.topic}/${batch.partition}@${message.offset}: ${parsed.why} (${counters.invalid} skipped so far)`,
        );
      }
      if (commands.length === 0) return;

      await apply(commands, ctx);
    },

    async teardown(ctx) {
      await producer?.disconnect();
      const { applied, rejected, reemitted, invalid } = counters;
      ctx.log.info(`applied ${applied}, rejected ${rejected}, re-emitted ${reemitted}, skipped ${invalid} invalid`);
    },
  };
}
