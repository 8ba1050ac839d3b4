// What every API handler gets and returns. A handler is a thin adapter: it reads the decoded
// request, asks the domain modules (topics, partitions, groups), and builds the response for the
// request's version. Protocol errors go into response error codes; a handler throws only when
// the connection must be dropped.
import type { ApiDefinition } from "../../protocol/apis.ts";
import type { BrokerState } from "../broker-state.ts";
import type { SaslAuthenticator } from "../security/sasl-authenticator.ts";

export interface RequestContext {
  broker: BrokerState;
  apiVersion: number;
  clientId: string;
  clientHost: string;
  /** The listener the request came in on (its endpoints are the ones advertised); absent: the brokers' first. */
  listener?: string;
  /** The connection's authentication on a SASL listener; absent on a PLAINTEXT one. */
  sasl?: SaslAuthenticator;
  /**
   * Calls `listener` once the connection the request came on closes (at once if it has); returns
   * the function that takes it back. A request that waits gives up then: its answer would go nowhere.
   */
  whenClosed?: (listener: () => void) => () => void;
}

/** `null` means no response is sent (Produce with acks=0). */
export type HandlerResult<Response> = Response | null | Promise<Response | null>;

// biome-ignore lint/suspicious/noExplicitAny: the handler table holds handlers of every API, each with its own types
export interface Handler<Request = any, Response = any> {
  api: ApiDefinition<Request, Response>;
  handle(request: Request, context: RequestContext): HandlerResult<Response>;
}

export function defineHandler<Request, Response>(
  api: ApiDefinition<Request, Response>,
  handle: (request: Request, context: RequestContext) => HandlerResult<Response>,
): Handler<Request, Response> {
  return { api, handle };
}
