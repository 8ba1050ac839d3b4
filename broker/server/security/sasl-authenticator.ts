// One connection's authentication on a SASL listener, as Kafka's SaslServerAuthenticator runs it:
//
//   versions-or-handshake: ApiVersions (once) or SaslHandshake; anything else closes the connection
//   handshake:             SaslHandshake only
//   authenticate:          after SaslHandshake v1, SaslAuthenticate requests carry the mechanism's messages
//   raw-tokens:            after SaslHandshake v0, the mechanism's messages come bare, size-prefixed
//   complete:              every request is served; SaslHandshake/SaslAuthenticate get ILLEGAL_SASL_STATE
//   failed:                the refusal is answered, then the connection is closed
//
// An unsupported mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled list, a refused
// client SASL_AUTHENTICATION_FAILED with a message; both then close the connection.
//
// Ownership: a SaslAuthenticator owns its connection's state and the mechanism's conversation.
import { ApiKeys } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from "../../protocol/messages/index.ts";
import { AuthenticationFailed, type SaslMechanismName, type SaslServerMechanism } from "./sasl-mechanism.ts";

export type AuthenticationState =
  | "versions-or-handshake"
  | "handshake"
  | "authenticate"
  | "raw-tokens"
  | "complete"
  | "failed";

export interface AuthenticatorOptions {
  readonly enabledMechanisms: readonly SaslMechanismName[];
  /** A new conversation of an enabled mechanism. */
  newMechanism(name: SaslMechanismName): SaslServerMechanism;
  /** Told of every outcome, for the broker's log. */
  onOutcome?(outcome: { mechanism: string; username?: string; error?: string }): void;
}

export class SaslAuthenticator {
  #state: AuthenticationState = "versions-or-handshake";
  #mechanismName: SaslMechanismName | undefined;
  #mechanism: SaslServerMechanism | undefined;

  constructor(private readonly options: AuthenticatorOptions) {}

  get state(): AuthenticationState {
    return this.#state;
  }

  get failed(): boolean {
    return this.#state === "failed";
  }

  get expectsRawToken(): boolean {
    return this.#state === "raw-tokens";
  }

  /** Who authenticated, once complete. */
  get principal(): string | undefined {
    return this.#state === "complete" ? this.#mechanism?.username : undefined;
  }

  /**
   * Whether a request of `apiKey` may be served now. Before authentication only the handshake's
   * requests are; an ApiVersions admitted moves on to the handshake, as Kafka takes one.
   */
  admit(apiKey: number): boolean {
    switch (this.#state) {
      case "versions-or-handshake":
        if (apiKey === ApiKeys.ApiVersions) {
          this.#state = "handshake";
          return true;
        }
        return apiKey === ApiKeys.SaslHandshake;
      case "handshake":
        return apiKey === ApiKeys.SaslHandshake;
      case "authenticate":
        return apiKey === ApiKeys.SaslAuthenticate;
      case "complete":
        return true;
      default:
        return false;
    }
  }

  handshake(mechanism: string, apiVersion: number): SaslHandshakeResponse {
    const mechanisms = [...this.options.enabledMechanisms];
    if (this.#state !== "versions-or-handshake" && this.#state !== "handshake")
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    const enabled = this.options.enabledMechanisms.find((name) => name === mechanism);
    if (enabled === undefined) {
      this.#fail(mechanism, `unsupported mechanism ${mechanism}`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    this.#mechanismName = enabled;
    this.#mechanism = this.options.newMechanism(enabled);
    this.#state = apiVersion >= 1 ? "authenticate" : "raw-tokens";
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  authenticate(authBytes: Buffer): SaslAuthenticateResponse {
    if (this.#state !== "authenticate")
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage:
          this.#state === "complete"
            ? "SaslAuthenticate request received after successful authentication"
            : "SaslAuthenticate request received before SaslHandshake v1",
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    try {
      const answer = this.#evaluate(authBytes);
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: answer, sessionLifetimeMs: 0n };
    } catch (error) {
      if (!(error instanceof AuthenticationFailed)) throw error;
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: error.message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
  }

  /**
   * A bare token after SaslHandshake v0: the mechanism's answer, to be sent size-prefixed. A
   * refusal gets no answer in this mode (there is no field for an error): it throws.
   */
  rawToken(token: Buffer): Buffer {
    if (this.#state !== "raw-tokens") throw new AuthenticationFailed("not expecting a SASL token");
    return this.#evaluate(token);
  }

  #evaluate(message: Buffer): Buffer {
    const mechanism = this.#mechanism!;
    try {
      const answer = mechanism.evaluate(message);
      if (mechanism.complete) {
        this.#state = "complete";
        this.options.onOutcome?.({ mechanism: this.#mechanismName!, username: mechanism.username });
      }
      return answer;
    } catch (error) {
      this.#fail(this.#mechanismName!, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  #fail(mechanism: string, error: string): void {
    this.#state = "failed";
    this.options.onOutcome?.({ mechanism, error });
  }
}
