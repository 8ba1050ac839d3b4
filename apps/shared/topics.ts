// The demo's topics and the messages on them. Commands are keyed by userId, so one user's commands
// land on one partition and are applied in the order they were accepted; outcome events are keyed
// the same way, so a consumer of events sees one user's history in order too.
import { z } from "zod";

export const COMMANDS_TOPIC = "points.commands";
export const EVENTS_TOPIC = "points.events";

export const commandTypes = ["charge", "deduct"] as const;
export type CommandType = (typeof commandTypes)[number];

/** A value on points.commands (JSON). */
export const pointsCommandSchema = z.object({
  commandId: z.string().min(1),
  type: z.enum(commandTypes),
  userId: z.string().min(1),
  amount: z.number().int().positive(),
  storeId: z.string().min(1),
  terminalId: z.string().min(1),
  orderId: z.string().optional(),
  reason: z.string().optional(),
  /** ISO time the command was accepted (or issued, for the load generator). */
  issuedAt: z.string(),
});
export type PointsCommand = z.infer<typeof pointsCommandSchema>;

export const outcomeStatuses = ["applied", "rejected"] as const;
export type OutcomeStatus = (typeof outcomeStatuses)[number];

/** A value on points.events (JSON): what the ledger did with one command. eventId = commandId. */
export const pointsEventSchema = z.object({
  eventId: z.string().min(1),
  commandId: z.string().min(1),
  type: z.enum(commandTypes),
  status: z.enum(outcomeStatuses),
  userId: z.string().min(1),
  amount: z.number().int().positive(),
  balanceAfter: z.number().int().nonnegative(),
  reason: z.string().optional(),
  storeId: z.string().min(1),
  terminalId: z.string().min(1),
  orderId: z.string().optional(),
  issuedAt: z.string(),
  appliedAt: z.string(),
  /** Where the command came from. */
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
});
export type PointsEvent = z.infer<typeof pointsEventSchema>;

/** Reasons the ledger gives when it rejects a command. */
export const rejectionReasons = { insufficientBalance: "insufficient balance" } as const;
