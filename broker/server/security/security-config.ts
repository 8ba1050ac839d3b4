// The broker's security settings read from its properties, under Kafka's names where Kafka has
// them: the listeners (listeners.ts), `sasl.enabled.mechanisms`, PLAIN users from each listener's
// `listener.name.<listener>.plain.sasl.jaas.config` (user_<name>="<password>"), and users of any
// mechanism from `sasl.credentials` / the file `sasl.credentials.file` (credential-entries.ts;
// Kafka keeps SCRAM credentials in its metadata log instead, written by kafka-storage or
// kafka-configs). Read once at start; nothing changes while the broker runs.
import { readFileSync } from "node:fs";
import type { ScramCredential, ScramMechanismName } from "../../protocol/sasl/scram.ts";
import { parseCredentialEntries } from "./credential-entries.ts";
import { parseJaasConfig, plainUsersOf } from "./jaas-config.ts";
import { type ListenerConfig, parseListeners } from "./listeners.ts";
import { parseEnabledMechanisms, type SaslMechanismName } from "./sasl-mechanism.ts";

export interface SecurityConfig {
  readonly listeners: readonly ListenerConfig[];
  readonly interBrokerListenerName: string;
  readonly enabledMechanisms: readonly SaslMechanismName[];
  /** PLAIN users on `listener`: its JAAS config's, then the credential entries'. */
  plainPassword(listener: string, username: string): string | undefined;
  scramCredential(mechanism: ScramMechanismName, username: string): ScramCredential | undefined;
}

/** `listener.name.<listener>.<mechanism>.sasl.jaas.config`, Kafka's per-listener JAAS property. */
const JAAS_PROPERTY = /^listener\.name\.([a-z0-9_]+)\.([a-z0-9-]+)\.sasl\.jaas\.config$/i;

/** Properties whose names embed a listener, so they cannot be listed among the defaults. */
export function isListenerSecurityProperty(key: string): boolean {
  return JAAS_PROPERTY.test(key);
}

export interface SecuritySources {
  /** A broker property's value or default. */
  prop(key: string): string;
  /** Every property given (the per-listener ones have no default). */
  props: ReadonlyMap<string, string>;
  defaultHost: string;
  defaultPort: number;
  readFile?: (path: string) => string;
}

/** Reads and checks everything; a bad setting throws an Error whose message names it. */
export function securityConfigFrom(sources: SecuritySources): SecurityConfig {
  const { prop, props } = sources;
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const listeners = parseListeners({
    listeners: prop("listeners"),
    protocolMap: prop("listener.security.protocol.map"),
    interBrokerListenerName: prop("inter.broker.listener.name"),
    defaultHost: sources.defaultHost,
    defaultPort: sources.defaultPort,
  });
  const enabledMechanisms = parseEnabledMechanisms(prop("sasl.enabled.mechanisms"));
  if (listeners.some((l) => l.securityProtocol === "SASL_PLAINTEXT") && enabledMechanisms.length === 0)
    throw new Error("sasl.enabled.mechanisms is empty but a listener is SASL_PLAINTEXT");

  const plainByListener = new Map<string, Map<string, string>>();
  for (const [key, value] of props) {
    const match = JAAS_PROPERTY.exec(key);
    if (match === null) continue;
    const [, listener, mechanism] = match;
    let modules: ReturnType<typeof parseJaasConfig>;
    try {
      modules = parseJaasConfig(value);
    } catch (error) {
      throw new Error(`${key}: ${(error as Error).message}`);
    }
    if (mechanism!.toUpperCase() === "PLAIN") plainByListener.set(listener!.toUpperCase(), plainUsersOf(modules));
  }

  const plainEverywhere = new Map<string, string>();
  const scram = new Map<string, ScramCredential>();
  const entriesText = [prop("sasl.credentials")];
  const file = prop("sasl.credentials.file");
  if (file !== "") {
    try {
      entriesText.push(readFile(file));
    } catch (error) {
      throw new Error(`sasl.credentials.file: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  for (const text of entriesText) {
    for (const entry of parseCredentialEntries(text)) {
      if (entry.mechanism === "PLAIN") plainEverywhere.set(entry.username, entry.password);
      else scram.set(`${entry.mechanism}\0${entry.username}`, entry.credential);
    }
  }

  return {
    listeners,
    interBrokerListenerName: prop("inter.broker.listener.name").trim().toUpperCase(),
    enabledMechanisms,
    plainPassword: (listener, username) =>
      plainByListener.get(listener.toUpperCase())?.get(username) ?? plainEverywhere.get(username),
    scramCredential: (mechanism, username) => scram.get(`${mechanism}\0${username}`),
  };
}
