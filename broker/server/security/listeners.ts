// Where the broker listens, under Kafka's names: `listeners` (NAME://host:port, comma-separated),
// `listener.security.protocol.map` (NAME:PROTOCOL) and `inter.broker.listener.name`. Without
// `listeners` the broker has one PLAINTEXT listener at --host/--port, as it always had.
//
// The brokers and controllers of a cluster talk to each other on the inter-broker listener, which
// must be PLAINTEXT here (Kafka could also authenticate them; this broker's own connections do not).

export type SecurityProtocol = "PLAINTEXT" | "SASL_PLAINTEXT";

/** Kafka's SecurityProtocol ids, as BrokerRegistration and RegisterBrokerRecord carry them. */
export const SECURITY_PROTOCOL_IDS: Readonly<Record<SecurityProtocol, number>> = { PLAINTEXT: 0, SASL_PLAINTEXT: 2 };

export interface ListenerConfig {
  /** Upper case, as Kafka normalizes listener names. */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  readonly host: string;
  /** 0: a free port, chosen when the listener binds. */
  readonly port: number;
}

export interface ListenerSettings {
  /** `listeners`; empty: PLAINTEXT at defaultHost:defaultPort. */
  listeners: string;
  protocolMap: string;
  interBrokerListenerName: string;
  defaultHost: string;
  defaultPort: number;
}

export class ListenerConfigError extends Error {}

const KNOWN_PROTOCOLS = new Set(["PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"]);

export function parseListeners(settings: ListenerSettings): ListenerConfig[] {
  const protocols = parseProtocolMap(settings.protocolMap);
  const text = settings.listeners.trim();
  if (text === "") {
    return [
      { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: settings.defaultHost, port: settings.defaultPort },
    ];
  }
  const listeners = text.split(",").map((entry) => parseListener(entry.trim(), protocols, settings.defaultHost));
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const listener of listeners) {
    if (names.has(listener.name)) throw new ListenerConfigError(`listeners names ${listener.name} twice`);
    if (listener.port !== 0 && ports.has(listener.port))
      throw new ListenerConfigError(`listeners uses port ${listener.port} twice`);
    names.add(listener.name);
    ports.add(listener.port);
  }
  interBrokerListener(listeners, settings.interBrokerListenerName);
  return listeners;
}

/** The listener the brokers and controllers reach each other on: named by inter.broker.listener.name, PLAINTEXT. */
export function interBrokerListener<L extends ListenerConfig>(listeners: readonly L[], name: string): L {
  const wanted = name.trim().toUpperCase();
  const listener = listeners.find((l) => l.name === wanted);
  if (listener === undefined)
    throw new ListenerConfigError(
      `inter.broker.listener.name ${wanted} is not in listeners (${listeners.map((l) => l.name).join(", ")}); ` +
        "the brokers and controllers of the cluster talk on that listener",
    );
  if (listener.securityProtocol !== "PLAINTEXT")
    throw new ListenerConfigError(
      `inter.broker.listener.name ${wanted} must be a PLAINTEXT listener: this broker's connections to the others do not authenticate`,
    );
  return listener;
}

function parseListener(entry: string, protocols: Map<string, string>, defaultHost: string): ListenerConfig {
  const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/[\]]*):(\d+)$/.exec(entry);
  if (match === null) throw new ListenerConfigError(`listeners entry "${entry}" is not NAME://host:port`);
  const name = match[1]!.toUpperCase();
  const securityProtocol = protocols.get(name);
  if (securityProtocol === undefined)
    throw new ListenerConfigError(`listener ${name} has no security protocol in listener.security.protocol.map`);
  if (securityProtocol !== "PLAINTEXT" && securityProtocol !== "SASL_PLAINTEXT")
    throw new ListenerConfigError(
      `listener ${name}: ${securityProtocol} is not supported (PLAINTEXT or SASL_PLAINTEXT)`,
    );
  const port = Number(match[3]);
  if (port > 65535) throw new ListenerConfigError(`listeners entry "${entry}": port out of range`);
  const host = match[2]!.replace(/^\[(.*)\]$/, "$1");
  return { name, securityProtocol, host: host === "" ? defaultHost : host, port };
}

/** NAME:PROTOCOL pairs; SSL and SASL_SSL may be named (Kafka's default map does) but no listener may use them. */
function parseProtocolMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of text.split(",").map((part) => part.trim())) {
    if (pair === "") continue;
    const [name, protocol, extra] = pair.split(":").map((part) => part.trim().toUpperCase());
    if (!name || !protocol || extra !== undefined)
      throw new ListenerConfigError(`listener.security.protocol.map entry "${pair}" is not NAME:PROTOCOL`);
    if (!KNOWN_PROTOCOLS.has(protocol))
      throw new ListenerConfigError(`listener ${name}: unknown security protocol ${protocol}`);
    map.set(name, protocol);
  }
  return map;
}
