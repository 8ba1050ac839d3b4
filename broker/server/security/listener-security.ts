// What the request router knows of the listener a connection came in on: its name (Metadata and
// FindCoordinator advertise the brokers' endpoints of that listener) and, on a SASL_PLAINTEXT
// listener, each connection's authenticator with the mechanisms and users configured.
//
// Ownership: a ListenerSecurity owns the authenticators of its connections (gone with them).
import { randomBytes } from "node:crypto";
import { SCRAM_MECHANISMS } from "../../protocol/sasl/scram.ts";
import type { Logger } from "../logger.ts";
import type { ListenerConfig } from "./listeners.ts";
import { PlainServer } from "./plain-server.ts";
import { SaslAuthenticator } from "./sasl-authenticator.ts";
import type { SaslMechanismName, SaslServerMechanism } from "./sasl-mechanism.ts";
import { ScramServer } from "./scram-server.ts";
import type { SecurityConfig } from "./security-config.ts";

/** What a connection is to this module: a key, and where it comes from for the log. */
export interface ConnectionIdentity {
  readonly remote: string;
}

export class ListenerSecurity {
  readonly #authenticators = new WeakMap<ConnectionIdentity, SaslAuthenticator>();
  /** Decoy salts of unknown SCRAM users derive from it; new at every start. */
  readonly #decoyKey = randomBytes(32);

  constructor(
    readonly listener: ListenerConfig,
    private readonly security: Pick<SecurityConfig, "enabledMechanisms" | "plainPassword" | "scramCredential">,
    private readonly log?: Pick<Logger, "info" | "warn">,
  ) {}

  get name(): string {
    return this.listener.name;
  }

  /** The connection's authenticator, made on its first request; none on a PLAINTEXT listener. */
  authenticatorOf(connection: ConnectionIdentity): SaslAuthenticator | undefined {
    if (this.listener.securityProtocol !== "SASL_PLAINTEXT") return undefined;
    let authenticator = this.#authenticators.get(connection);
    if (authenticator === undefined) {
      authenticator = new SaslAuthenticator({
        enabledMechanisms: this.security.enabledMechanisms,
        newMechanism: (name) => this.#newMechanism(name),
        onOutcome: ({ mechanism, username, error }) => {
          const fields = { listener: this.name, remote: connection.remote, mechanism };
          if (error === undefined) this.log?.info("SASL authentication succeeded", { ...fields, username });
          else this.log?.warn("SASL authentication failed", { ...fields, error });
        },
      });
      this.#authenticators.set(connection, authenticator);
    }
    return authenticator;
  }

  #newMechanism(name: SaslMechanismName): SaslServerMechanism {
    if (name === "PLAIN") return new PlainServer((username) => this.security.plainPassword(this.name, username));
    return new ScramServer(
      SCRAM_MECHANISMS[name],
      (username) => this.security.scramCredential(name, username),
      this.#decoyKey,
    );
  }
}
