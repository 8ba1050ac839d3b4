// The broker's side of SASL/PLAIN: one client message with the user and password, checked against
// the listener's users (`user_<name>="<password>"` of its JAAS config), as Kafka's PlainSaslServer.
import { createHash, timingSafeEqual } from "node:crypto";
import { decodePlain, PlainFormatError } from "../../protocol/sasl/plain.ts";
import { AuthenticationFailed, type SaslServerMechanism } from "./sasl-mechanism.ts";

/** The password configured for a user, or undefined for no such user. */
export type PlainPasswordLookup = (username: string) => string | undefined;

export class PlainServer implements SaslServerMechanism {
  #username: string | undefined;

  constructor(private readonly passwordOf: PlainPasswordLookup) {}

  get complete(): boolean {
    return this.#username !== undefined;
  }

  get username(): string | undefined {
    return this.#username;
  }

  evaluate(clientMessage: Buffer): Buffer {
    if (this.complete) throw new AuthenticationFailed("Authentication failed: PLAIN takes one message");
    let credentials: ReturnType<typeof decodePlain>;
    try {
      credentials = decodePlain(clientMessage);
    } catch (error) {
      if (error instanceof PlainFormatError) throw new AuthenticationFailed(`Authentication failed: ${error.message}`);
      throw error;
    }
    const { authorizationId, username, password } = credentials;
    if (authorizationId !== "" && authorizationId !== username)
      throw new AuthenticationFailed(
        "Authentication failed: Client requested an authorization id that is different from username",
      );
    const expected = this.passwordOf(username);
    // Compared as digests: equal lengths, and the time taken says nothing of either password.
    if (expected === undefined || !sameSecret(expected, password))
      throw new AuthenticationFailed("Authentication failed: Invalid username or password");
    this.#username = username;
    return Buffer.alloc(0);
  }
}

function sameSecret(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}
