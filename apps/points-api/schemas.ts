// The API's request and response shapes as zod schemas: requests are validated with them, and
// openapi.ts derives the published document from the very same objects, so the two cannot drift.
import { z } from "zod";
import { commandTypes, outcomeStatuses } from "../shared/topics.ts";

const reference = (what: string) => z.string().min(1).max(128).describe(what);

/** Ids points-api hands out or accepts for new users: safe in a URL path as they are. */
const newUserId = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    "must start with a letter or digit and contain only letters, digits and . _ : -",
  );

/** Also the value of the Idempotency-Key header. */
export const commandIdSchema = z
  .string()
  .min(1)
  .max(128)
  .describe("Idempotency key; the command's id on points.commands");

export function commandBodySchema(maxAmount: number) {
  return z.strictObject({
    userId: reference("the user whose balance changes"),
    amount: z.number().int().positive().max(maxAmount).describe("points, a positive integer"),
    storeId: reference("the store the command comes from"),
    terminalId: reference("a terminal of that store"),
    orderId: z.string().min(1).max(128).optional().describe("the POS order this belongs to"),
    reason: z.string().max(500).optional(),
    commandId: commandIdSchema.optional(),
  });
}
export type CommandBody = z.infer<ReturnType<typeof commandBodySchema>>;

export const MAX_WAIT_MS = 30_000;
export const commandQuerySchema = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_MS)
    .optional()
    .describe("ms to wait for the ledger's outcome before answering 202"),
});

const limit = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`at most this many (1..${max}, default ${fallback})`);

export const usersQuerySchema = z.object({
  limit: limit(50, 500),
  cursor: z.string().min(1).optional().describe("nextCursor of the previous page"),
});
export const createUserBodySchema = z.strictObject({
  id: newUserId.optional().describe("defaults to a random UUID"),
  name: z.string().trim().min(1).max(100),
});
export const ledgerQuerySchema = z.object({ limit: limit(100, 1000) });
export const notificationsQuerySchema = z.object({ limit: limit(50, 500) });
export const recentLedgerQuerySchema = z.object({ limit: limit(20, 200) });
export const analyticsQuerySchema = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(168)
    .default(24)
    .describe("hourly buckets of the last this many hours (1..168, default 24)"),
});

// Responses: documented here, and tests parse real responses with them.

const offset = z.string().regex(/^\d+$/).describe("a Kafka offset, as a decimal string");

export const commandAcceptedSchema = z.object({
  commandId: z.string(),
  status: z.literal("accepted"),
  partition: z.number().int(),
  offset,
});
export const commandOutcomeSchema = z.object({
  commandId: z.string(),
  status: z.enum(outcomeStatuses),
  balanceAfter: z.number().int(),
  reason: z.string().optional(),
  partition: z.number().int(),
  offset,
});

export const userSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
export const usersPageSchema = z.object({
  users: z.array(z.object({ id: z.string(), name: z.string(), balance: z.number().int() })),
  nextCursor: z.string().nullable(),
});
export const storesSchema = z.object({
  stores: z.array(
    z.object({ id: z.string(), name: z.string(), terminals: z.array(z.object({ id: z.string(), name: z.string() })) }),
  ),
});
export const balanceSchema = z.object({ userId: z.string(), balance: z.number().int() });

const ledgerEntrySchema = z.object({
  commandId: z.string(),
  type: z.enum(commandTypes),
  amount: z.number().int(),
  status: z.enum(outcomeStatuses),
  balanceAfter: z.number().int(),
  reason: z.string().optional(),
  storeId: z.string(),
  terminalId: z.string(),
  orderId: z.string().optional(),
  partition: z.number().int(),
  offset,
  issuedAt: z.string(),
  appliedAt: z.string(),
});
export const userLedgerSchema = z.object({ entries: z.array(ledgerEntrySchema) });
export const recentLedgerSchema = z.object({ entries: z.array(ledgerEntrySchema.extend({ userId: z.string() })) });
export const notificationsSchema = z.object({
  notifications: z.array(
    z.object({ id: z.number().int(), eventId: z.string(), message: z.string(), createdAt: z.string() }),
  ),
});

export const analyticsSchema = z.object({
  totals: z.object({
    charges: z.number(),
    deductions: z.number(),
    rejections: z.number(),
    chargedPoints: z.number(),
    deductedPoints: z.number(),
  }),
  stores: z.array(
    z.object({
      storeId: z.string(),
      storeName: z.string().nullable(),
      chargedPoints: z.number(),
      deductedPoints: z.number(),
      chargeCount: z.number(),
      deductCount: z.number(),
      rejectedCount: z.number(),
      updatedAt: z.string(),
    }),
  ),
  hourly: z.array(
    z.object({
      storeId: z.string(),
      hour: z.string(),
      chargedPoints: z.number(),
      deductedPoints: z.number(),
      eventCount: z.number(),
    }),
  ),
  topUsers: z.array(
    z.object({
      userId: z.string(),
      name: z.string().nullable(),
      chargedPoints: z.number(),
      deductedPoints: z.number(),
      eventCount: z.number(),
    }),
  ),
});

export const groupsSchema = z.object({
  groups: z.array(
    z.object({
      groupId: z.string(),
      topic: z.string(),
      state: z
        .string()
        .describe('the coordinator\'s view: "Stable", "PreparingRebalance", "Empty", "Dead" (unknown group), ...'),
      members: z.array(
        z.object({
          memberId: z.string(),
          clientId: z.string(),
          clientHost: z.string(),
          partitions: z.array(z.number().int()),
        }),
      ),
      partitions: z.array(
        z.object({
          partition: z.number().int(),
          committedOffset: offset.nullable().describe("null when the group has committed nothing for the partition"),
          endOffset: offset,
          lag: z.number().int(),
        }),
      ),
      totalLag: z.number().int(),
    }),
  ),
});

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
