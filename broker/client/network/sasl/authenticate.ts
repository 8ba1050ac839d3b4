// Authenticates one new connection as kafkajs does with its `sasl` option: SaslHandshake names
// the mechanism, then SaslAuthenticate requests carry the mechanism's messages until it is done.
// Any refusal — the broker's (UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED, ...) or the
// mechanism's own (a server that cannot prove it knows the SCRAM credential) — is a
// KafkaJSSASLAuthenticationError, which is not retriable: the same password fails again.
import { ErrorCode, errorCodeName } from "../../../protocol/errors.ts";
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from "../../../protocol/messages/index.ts";
import { SCRAM_MECHANISMS } from "../../../protocol/sasl/scram.ts";
import { KafkaJSSASLAuthenticationError } from "../../errors.ts";
import type { SASLOptions } from "../../types.ts";
import { plainConversation } from "./plain.ts";
import { scramConversation } from "./scram.ts";

/** One SASL exchange as the client leads it: the next message given the server's last answer (none at first); null when over. */
export interface SaslConversation {
  respond(serverMessage: Buffer | undefined): Promise<Buffer | null>;
}

/** The two requests of the exchange, on the connection being opened. */
export interface SaslExchange {
  readonly address: string;
  handshake(mechanism: string): Promise<SaslHandshakeResponse>;
  authenticate(authBytes: Buffer): Promise<SaslAuthenticateResponse>;
}

/** Kafka's name of a kafkajs mechanism name ('scram-sha-256' → 'SCRAM-SHA-256'). */
export function brokerMechanismName(options: Pick<SASLOptions, "mechanism">): string {
  return options.mechanism.toUpperCase();
}

export function conversationFor(options: SASLOptions): SaslConversation {
  const name = brokerMechanismName(options);
  if (name === "PLAIN") return plainConversation(options.username, options.password);
  if (name === "SCRAM-SHA-256" || name === "SCRAM-SHA-512")
    return scramConversation(SCRAM_MECHANISMS[name], options.username, options.password);
  throw new KafkaJSSASLAuthenticationError(`SASL ${name} mechanism is not supported by this client`);
}

export async function authenticate(exchange: SaslExchange, options: SASLOptions): Promise<void> {
  const mechanism = brokerMechanismName(options);
  const refused = (reason: string, cause?: unknown): KafkaJSSASLAuthenticationError =>
    new KafkaJSSASLAuthenticationError(`SASL ${mechanism} authentication failed: ${reason}`, { cause });

  const handshake = await exchange.handshake(mechanism);
  if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM || !handshake.mechanisms.includes(mechanism))
    throw new KafkaJSSASLAuthenticationError(
      `SASL ${mechanism} mechanism is not supported by the server ${exchange.address} (enabled: ${handshake.mechanisms.join(", ") || "none"})`,
    );
  if (handshake.errorCode !== ErrorCode.NONE) throw refused(errorCodeName(handshake.errorCode));

  const conversation = conversationFor(options);
  let serverMessage: Buffer | undefined;
  for (;;) {
    let message: Buffer | null;
    try {
      message = await conversation.respond(serverMessage);
    } catch (error) {
      throw refused(error instanceof Error ? error.message : String(error), error);
    }
    if (message === null) return;
    const answer = await exchange.authenticate(message);
    if (answer.errorCode !== ErrorCode.NONE) throw refused(answer.errorMessage ?? errorCodeName(answer.errorCode));
    serverMessage = answer.authBytes;
  }
}
