// Turning a message of points.commands into a command the ledger can apply, or saying why it
// cannot be. Anything that would make the batch's transaction fail (an unparsable time, an amount
// beyond what an Int column holds) is refused here, so one bad message never blocks a partition.
import type { KafkaMessage } from "../../broker/client/consumer/types.ts";
import { checkCommand } from "./command-fast-path.ts";
import type { SourcedCommand } from "./plan-batch.ts";

/**
 * The last issuedAt found to be a time: a batch's commands often share theirs (a producer's send, a
 * busy millisecond), and a Date.parse per command was a good part of reading one. A memo only.
 */
let lastTime = "";

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
  const command = checkCommand(json);
  if (typeof command === "string") return { ok: false, why: command };
  if (command.issuedAt !== lastTime && Number.isNaN(Date.parse(command.issuedAt)))
    return { ok: false, why: `issuedAt: not a time ("${command.issuedAt}")` };
  lastTime = command.issuedAt;
  if (command.amount > maxAmount)
    return { ok: false, why: `amount: ${command.amount} is above the maximum ${maxAmount}` };
  return { ok: true, command: { command, source } };
}
