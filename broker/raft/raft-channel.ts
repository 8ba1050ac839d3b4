// How a RaftNode reaches the other replicas of the quorum (Kafka's NetworkChannel): one request to
// one node id, answered by that node's response or a rejection (unreachable, timed out, closed).
// The node never sees a connection. Two implementations: ConnectionRaftChannel below, over the
// client's BrokerConnection (one codec for both sides, the same TCP listener as clients use), and
// in-process ones in the tests.
//
// Ownership: a ConnectionRaftChannel owns two BrokerConnections per destination, opened on first use:
// one for Fetch and one for the rest, because a broker answers a connection's requests in order
// and a held (long-poll) Fetch would otherwise delay a Vote behind it.

import type { BrokerConnection } from "../client/network/broker-connection.ts";
import { type ApiDefinition, Apis } from "../protocol/apis.ts";
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  VoteRequest,
  VoteResponse,
} from "../protocol/messages/index.ts";
import { interBrokerConnection } from "../server/inter-broker-connection.ts";
import type { Logger } from "../server/logger.ts";
import { RAFT_FETCH_VERSION } from "./raft-messages.ts";

/** The requests a replica sends to another, by API name, with their responses. */
export interface RaftMessages {
  Vote: { request: VoteRequest; response: VoteResponse };
  BeginQuorumEpoch: { request: BeginQuorumEpochRequest; response: BeginQuorumEpochResponse };
  EndQuorumEpoch: { request: EndQuorumEpochRequest; response: EndQuorumEpochResponse };
  Fetch: { request: FetchRequest; response: FetchResponse };
}

export type RaftApi = keyof RaftMessages;

export interface RaftChannel {
  send<Api extends RaftApi>(
    destination: number,
    api: Api,
    request: RaftMessages[Api]["request"],
  ): Promise<RaftMessages[Api]["response"]>;
  /** Drops every connection; later sends reject. */
  close(): void;
}

/** Where a node listens, from `controller.quorum.voters`. */
export interface RaftEndpoint {
  host: string;
  port: number;
}

const definitions: { [Api in RaftApi]: ApiDefinition<RaftMessages[Api]["request"], RaftMessages[Api]["response"]> } = {
  Vote: Apis.Vote,
  BeginQuorumEpoch: Apis.BeginQuorumEpoch,
  EndQuorumEpoch: Apis.EndQuorumEpoch,
  Fetch: Apis.Fetch,
};

export class ConnectionRaftChannel implements RaftChannel {
  readonly #endpoints: ReadonlyMap<number, RaftEndpoint>;
  readonly #connections = new Map<string, BrokerConnection>();
  readonly #options: { clientId: string; requestTimeoutMs: number; logger: Logger };
  #closed = false;

  constructor(
    endpoints: ReadonlyMap<number, RaftEndpoint>,
    options: { localId: number; requestTimeoutMs: number; logger: Logger },
  ) {
    this.#endpoints = endpoints;
    this.#options = {
      clientId: `raft-${options.localId}`,
      requestTimeoutMs: options.requestTimeoutMs,
      logger: options.logger,
    };
  }

  send<Api extends RaftApi>(
    destination: number,
    api: Api,
    request: RaftMessages[Api]["request"],
  ): Promise<RaftMessages[Api]["response"]> {
    if (this.#closed) return Promise.reject(new Error("raft channel closed"));
    const connection = this.#connection(destination, api === "Fetch" ? "fetch" : "control");
    if (connection === null) return Promise.reject(new Error(`no address for node ${destination}`));
    const definition = definitions[api] as ApiDefinition<RaftMessages[Api]["request"], RaftMessages[Api]["response"]>;
    if (api === "Fetch") {
      const maxWaitMs = (request as FetchRequest).maxWaitMs;
      return connection.request(definition, request, { version: RAFT_FETCH_VERSION, extraTimeout: maxWaitMs });
    }
    return connection.request(definition, request);
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) connection.disconnect();
    this.#connections.clear();
  }

  #connection(destination: number, purpose: "fetch" | "control"): BrokerConnection | null {
    const key = `${destination}/${purpose}`;
    let connection = this.#connections.get(key);
    if (connection !== undefined) return connection;
    const endpoint = this.#endpoints.get(destination);
    if (endpoint === undefined) return null;
    connection = interBrokerConnection(
      endpoint,
      this.#options.clientId,
      this.#options.requestTimeoutMs,
      this.#options.logger,
    );
    this.#connections.set(key, connection);
    return connection;
  }
}
