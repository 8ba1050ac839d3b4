// The ledger's event log (LEDGER_EVENT_LOG=<file>): one JSON line per change of what this member
// owns (from the consumer's PARTITIONS_ASSIGNED / PARTITIONS_REVOKED events) and one per database
// commit that met commands already applied (a redelivery: records delivered twice). The rebalance
// lab (seed/lab/rebalance/) reads it to draw who owned which partition when. Lines are appended
// synchronously, so a member killed with SIGKILL leaves every line it wrote before.
//
// The line format is defined here once; parseEventLog reads it back.
//
// Owner of mutable state: the EventLog returned by createEventLog (the member id it last saw).
import { appendFileSync } from "node:fs";
import type { ConsumerPartitionsChangedEvent } from "../../broker/client/consumer/types.ts";
import { consumerEvents } from "../../broker/client/events.ts";
import type { KafkaClientConsumer } from "../../broker/client/factory.ts";

export interface AssignmentLine {
  event: "assignment";
  /** When the consumer reported the change (ms since the epoch). */
  at: number;
  /** The group's member id, as the coordinator gave it. */
  member: string;
  /** The static member's group.instance.id, or null. */
  instance: string | null;
  /** The generation (classic) or member epoch (consumer protocol) the change belongs to. */
  generation: number;
  /** EAGER or COOPERATIVE, as the consumer reports it. */
  protocol: string;
  /** join, rebalance, lost or stop (see AssignmentChangeReason). */
  reason: string;
  assigned: number[];
  revoked: number[];
  /** The error that ended the generation, when one did. */
  cause?: string;
}

export interface RedeliveredLine {
  event: "redelivered";
  at: number;
  member: string;
  instance: string | null;
  /** Commands in the commit that were already applied: delivered (at least) twice. */
  count: number;
}

export type EventLine = AssignmentLine | RedeliveredLine;

export function eventLogPathFrom(env: NodeJS.ProcessEnv): string | undefined {
  return env.LEDGER_EVENT_LOG || undefined;
}

export interface EventLog {
  /** Writes the member's assignment changes of `topic` from now on. */
  watch(consumer: KafkaClientConsumer, topic: string): void;
  redelivered(count: number): void;
}

export function createEventLog(
  file: string,
  instance: string | null,
  write: (file: string, text: string) => void = appendFileSync,
): EventLog {
  let member = "";
  const append = (line: EventLine) => write(file, `${JSON.stringify(line)}\n`);
  const onChange =
    (topic: string, kind: "assigned" | "revoked") =>
    ({ timestamp, payload }: ConsumerPartitionsChangedEvent) => {
      member = payload.memberId;
      const partitions = payload.partitions
        .filter((p) => p.topic === topic)
        .flatMap((p) => p.partitions)
        .sort((a, b) => a - b);
      if (partitions.length === 0) return;
      append({
        event: "assignment",
        at: timestamp,
        member,
        instance,
        generation: payload.generationId,
        protocol: payload.rebalanceProtocol,
        reason: payload.reason,
        assigned: kind === "assigned" ? partitions : [],
        revoked: kind === "revoked" ? partitions : [],
        ...(payload.cause === undefined ? {} : { cause: payload.cause }),
      });
    };
  return {
    watch(consumer, topic) {
      // kafkajs has no such events (and refuses listeners for names it does not know).
      if (!(Object.values(consumer.events) as string[]).includes(consumerEvents.PARTITIONS_ASSIGNED)) return;
      consumer.on(consumerEvents.PARTITIONS_ASSIGNED, onChange(topic, "assigned"));
      consumer.on(consumerEvents.PARTITIONS_REVOKED, onChange(topic, "revoked"));
    },
    redelivered(count) {
      if (count > 0) append({ event: "redelivered", at: Date.now(), member, instance, count });
    },
  };
}

/** The lines of an event log; a torn last line (the process died mid-write) is left out. */
export function parseEventLog(text: string): EventLine[] {
  const lines: EventLine[] = [];
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    try {
      lines.push(JSON.parse(raw) as EventLine);
    } catch {
      // Only the last line can be torn; anything else would be a bug in the writer.
    }
  }
  return lines;
}
