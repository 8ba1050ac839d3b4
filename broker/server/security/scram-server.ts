// The broker's side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677), as Kafka's ScramSaslServer: the
// client's first message names the user and its nonce; the server answers with the combined nonce,
// the user's salt and iteration count; the client's final message carries its proof, which the
// server checks against the stored key, then answers with its own signature.
//
// A user who does not exist gets a decoy salt (the same on every attempt) and fails only at the
// proof, so the exchange does not tell which users exist.
import { createHmac, randomBytes } from "node:crypto";
import {
  authMessageOf,
  type ClientFirstMessage,
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  type ScramCredential,
  ScramFormatError,
  type ScramMechanism,
  serverSignature,
  verifyClientProof,
} from "../../protocol/sasl/scram.ts";
import { AuthenticationFailed, type SaslServerMechanism } from "./sasl-mechanism.ts";

/** The credential stored for a user under this mechanism, or undefined for no such user. */
export type ScramCredentialLookup = (username: string) => ScramCredential | undefined;

export const SCRAM_SALT_BYTES = 32;

type Step =
  | { kind: "expecting-client-first" }
  | {
      kind: "expecting-client-final";
      clientFirst: ClientFirstMessage;
      serverFirst: string;
      nonce: string;
      credential: ScramCredential;
      knownUser: boolean;
    }
  | { kind: "complete"; username: string }
  | { kind: "failed" };

export class ScramServer implements SaslServerMechanism {
  #step: Step = { kind: "expecting-client-first" };

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly credentialOf: ScramCredentialLookup,
    /** A secret of this broker's, from which unknown users' decoy salts are derived. */
    private readonly decoyKey: Buffer,
    /** The server's part of the nonce (fixed only by tests replaying a known exchange). */
    private readonly serverNonce: () => string = () => randomBytes(24).toString("base64url"),
  ) {}

  get complete(): boolean {
    return this.#step.kind === "complete";
  }

  get username(): string | undefined {
    return this.#step.kind === "complete" ? this.#step.username : undefined;
  }

  evaluate(clientMessage: Buffer): Buffer {
    const step = this.#step;
    this.#step = { kind: "failed" };
    try {
      if (step.kind === "expecting-client-first") return this.#first(clientMessage.toString("utf8"));
      if (step.kind === "expecting-client-final") return this.#final(step, clientMessage.toString("utf8"));
    } catch (error) {
      if (error instanceof ScramFormatError)
        throw new AuthenticationFailed(`Authentication failed: invalid SCRAM message: ${error.message}`);
      throw error;
    }
    throw new AuthenticationFailed("Authentication failed: the SCRAM exchange is over");
  }

  #first(text: string): Buffer {
    const clientFirst = parseClientFirst(text);
    if (clientFirst.authorizationId !== "" && clientFirst.authorizationId !== clientFirst.username)
      throw new AuthenticationFailed(
        "Authentication failed: Client requested an authorization id that is different from username",
      );
    if (clientFirst.extensions.get("tokenauth") === "true")
      throw new AuthenticationFailed("Authentication failed: delegation tokens are not supported");
    const stored = this.credentialOf(clientFirst.username);
    const credential = stored ?? this.#decoy(clientFirst.username);
    const nonce = clientFirst.nonce + this.serverNonce();
    const serverFirst = formatServerFirst({ nonce, salt: credential.salt, iterations: credential.iterations });
    this.#step = {
      kind: "expecting-client-final",
      clientFirst,
      serverFirst,
      nonce,
      credential,
      knownUser: stored !== undefined,
    };
    return Buffer.from(serverFirst, "utf8");
  }

  #final(step: Extract<Step, { kind: "expecting-client-final" }>, text: string): Buffer {
    const clientFinal = parseClientFinal(text);
    // librdkafka (≤ 2.x at least) sends its own nonce again in front of the combined one; Kafka
    // accepts any nonce that ends with the combined one, so this does too.
    if (!clientFinal.nonce.endsWith(step.nonce)) throw new AuthenticationFailed("Authentication failed: Invalid nonce");
    if (Buffer.from(clientFinal.channelBinding, "base64").toString("utf8") !== step.clientFirst.gs2Header)
      throw new AuthenticationFailed("Authentication failed: channel binding does not match the gs2 header");
    const authMessage = authMessageOf(step.clientFirst.bare, step.serverFirst, clientFinal.withoutProof);
    const proven = verifyClientProof(this.mechanism, step.credential, authMessage, clientFinal.proof);
    if (!step.knownUser || !proven) throw new AuthenticationFailed("Authentication failed: Invalid user credentials");
    this.#step = { kind: "complete", username: step.clientFirst.username };
    return Buffer.from(formatServerFinal(serverSignature(this.mechanism, step.credential.serverKey, authMessage)));
  }

  /** A credential no password matches, with a salt that stays the same for the name. */
  #decoy(username: string): ScramCredential {
    const derive = (label: string): Buffer =>
      createHmac("sha512", this.decoyKey).update(`${label}\0${this.mechanism.name}\0${username}`).digest();
    return {
      salt: derive("salt").subarray(0, SCRAM_SALT_BYTES),
      iterations: 4096,
      storedKey: derive("stored").subarray(0, this.mechanism.keyLength),
      serverKey: derive("server").subarray(0, this.mechanism.keyLength),
    };
  }
}
