// Turning a message of points.commands into a command the ledger can apply, or saying why it
// cannot be. Anything that would make the batch's transaction fail (an unparsable time, an amount
// beyond what an Int column holds) is refused here, so one bad message never blocks a partition.
import type { KafkaMessage } from "../../broker/client/consumer/types.ts";
import { pointsCommandSchema } from "../shared/topics.ts";
import type { SourcedCommand } from "./plan-batch.ts";

export type ParsedMessage = { ok: true; command: SourcedCommand } | { ok: false; why: string };

export function parseCommandMessage(
  message: KafkaMessage,
  topic: string,
  partition: number,
  maxAmount: number,
): ParsedMessage {
  const source = { topic, partition, offset: BigInt(message.offset) };
  if (message.value === null) return { ok: false, why: "no value" };
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString("utf8"));
  } catch {
    return { ok: false, why: "value is not JSON" };
  }
  const parsed = pointsCommandSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, why: `${issue.path.join(".") || "value"}: ${issue.message}` };
  }
  const command = parsed.data;
  if (Number.isNaN(Date.parse(command.issuedAt)))
    return { ok: false, why: `issuedAt: not a time ("${command.issuedAt}")` };
  if (command.amount > maxAmount)
    return { ok: false, why: `amount: ${command.amount} is above the maximum ${maxAmount}` };
  return { ok: true, command: { command, source } };
}
