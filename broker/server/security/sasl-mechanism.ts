// What every server-side SASL mechanism is (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): a conversation
// that takes the client's messages one by one and answers each, until it is complete or fails; and
// `sasl.enabled.mechanisms`, read and checked.
import { isScramMechanism } from "../../protocol/sasl/scram.ts";

export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];

export interface SaslServerMechanism {
  /** Answers the client's next message; throws AuthenticationFailed when the client is refused. */
  evaluate(clientMessage: Buffer): Buffer;
  /** The exchange succeeded: the connection may be served. */
  readonly complete: boolean;
  /** Who authenticated, once complete. */
  readonly username: string | undefined;
}

/** The client is refused; the message is what the client is told (never whether the user exists). */
export class AuthenticationFailed extends Error {}

export function isSaslMechanism(name: string): name is SaslMechanismName {
  return name === "PLAIN" || isScramMechanism(name);
}

/** `sasl.enabled.mechanisms`: comma-separated, Kafka's upper-case names; an unknown one throws. */
export function parseEnabledMechanisms(text: string): SaslMechanismName[] {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of names) {
    if (!isSaslMechanism(name))
      throw new Error(`sasl.enabled.mechanisms: ${name} is not supported (supported: ${SASL_MECHANISMS.join(", ")})`);
  }
  return [...new Set(names)] as SaslMechanismName[];
}
