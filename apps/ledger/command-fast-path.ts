// The command schema's contract (pointsCommandSchema, zod) checked by hand for the values that meet
// it, which at the ledger's rates is every value: zod's safeParse cost about 1.7 µs a command, and
// a good part of the ledger's garbage, where these checks cost a few tens of ns. It accepts only
// what the schema accepts and returns what the schema returns (the known keys, unknown ones
// dropped); anything else it leaves to the schema, whose parse names the problem
// (test/apps/ledger/command-fast-path.test.ts holds the two to agreement). Holds no state.
import { type PointsCommand, pointsCommandSchema } from "../shared/topics.ts";

/**
 * pointsCommandSchema.safeParse, with the plainly valid values checked by hand: the command, or (a
 * string) the schema's first problem with it, e.g. "amount: Too small: expected number to be >0".
 */
export function checkCommand(value: unknown): PointsCommand | string {
  const command = plainlyValid(value);
  if (command) return command;
  const parsed = pointsCommandSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return `${issue.path.join(".") || "value"}: ${issue.message}`;
}

/** The command, if `value` meets the schema with nothing to report; undefined to let the schema decide. */
export function plainlyValid(value: unknown): PointsCommand | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const { commandId, type, userId, amount, storeId, terminalId, orderId, reason, issuedAt } = v;
  if (
    !nonEmpty(commandId) ||
    (type !== "charge" && type !== "deduct") ||
    !nonEmpty(userId) ||
    typeof amount !== "number" ||
    !Number.isSafeInteger(amount) ||
    amount <= 0 ||
    !nonEmpty(storeId) ||
    !nonEmpty(terminalId) ||
    typeof issuedAt !== "string"
  )
    return undefined;
  // Optional: absent is left out, as the schema leaves it; an own key set to undefined (which JSON
  // never gives) the schema keeps, so that rare case is left to it.
  if (orderId === undefined ? "orderId" in v : typeof orderId !== "string") return undefined;
  if (reason === undefined ? "reason" in v : typeof reason !== "string") return undefined;
  // Keys in the schema's order, as its parse returns them.
  const command = { commandId, type, userId, amount, storeId, terminalId } as PointsCommand;
  if (orderId !== undefined) command.orderId = orderId as string;
  if (reason !== undefined) command.reason = reason as string;
  command.issuedAt = issuedAt;
  return command;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
