// A request context for the controller APIs' handlers, whose broker state they only pass to the
// controller lookup the test gives them.
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import type { RequestContext } from "../../../../broker/server/handlers/handler.ts";

export const stateWithoutController = {} as BrokerState;

export function contextAt(apiVersion: number): RequestContext {
  return { broker: stateWithoutController, apiVersion, clientId: "broker-1", clientHost: "127.0.0.1" };
}
