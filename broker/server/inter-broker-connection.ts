// A connection from this broker to another node (a voter, a controller, a partition leader): the
// client's BrokerConnection, so requests and responses go through the one codec both sides use,
// with the broker's logger underneath. Holds no state of its own.
import type { Logger as ClientLogger } from "../client/logger.ts";
import { BrokerConnection } from "../client/network/broker-connection.ts";
import type { Logger } from "./logger.ts";

export interface InterBrokerAddress {
  host: string;
  port: number;
}

/** `clientId` says who asks and why, e.g. `replica-fetcher-1-from-0`, as it shows in the other broker's logs. */
export function interBrokerConnection(
  address: InterBrokerAddress,
  clientId: string,
  requestTimeoutMs: number,
  log: Logger,
): BrokerConnection {
  return new BrokerConnection({
    host: address.host,
    port: address.port,
    clientId,
    connectionTimeout: requestTimeoutMs,
    requestTimeout: requestTimeoutMs,
    logger: asClientLogger(log),
  });
}

/** The broker's logger in the shape the client's connection logs through. */
function asClientLogger(log: Logger): ClientLogger {
  const client: ClientLogger = {
    info: (message, extra) => log.info(message, extra as Record<string, unknown> | undefined),
    error: (message, extra) => log.error(message, extra as Record<string, unknown> | undefined),
    warn: (message, extra) => log.warn(message, extra as Record<string, unknown> | undefined),
    debug: (message, extra) => log.debug(message, extra as Record<string, unknown> | undefined),
    namespace: () => client,
    setLogLevel: () => {},
  };
  return client;
}
