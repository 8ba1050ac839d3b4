// How a follower talks to the broker leading its partitions (Kafka's LeaderEndPoint): Fetch,
// OffsetForLeaderEpoch and ListOffsets, sent over the client's BrokerConnection so that one codec
// serves both sides of the wire. Tests may put any other transport behind the same interface.
//
// Ownership: a BrokerLeaderEndpoint owns its connection; the replica fetcher that uses it closes it.

import type { BrokerConnection } from "../../client/network/broker-connection.ts";
import { Apis } from "../../protocol/apis.ts";
import type {
  FetchRequest,
  FetchResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
} from "../../protocol/messages/index.ts";
import { interBrokerConnection } from "../inter-broker-connection.ts";
import type { Logger } from "../logger.ts";

export interface LeaderEndpoint {
  /** The leader's broker id. */
  readonly brokerId: number;
  fetch(request: FetchRequest): Promise<FetchResponse>;
  offsetsForLeaderEpoch(request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse>;
  listOffsets(request: ListOffsetsRequest): Promise<ListOffsetsResponse>;
  /** Fails what is in flight; the endpoint is not used again. */
  close(): void;
}

export interface LeaderAddress {
  brokerId: number;
  host: string;
  port: number;
}

export class BrokerLeaderEndpoint implements LeaderEndpoint {
  readonly brokerId: number;
  readonly #connection: BrokerConnection;

  constructor(leader: LeaderAddress, localBrokerId: number, requestTimeoutMs: number, log: Logger) {
    this.brokerId = leader.brokerId;
    this.#connection = interBrokerConnection(
      leader,
      `replica-fetcher-${localBrokerId}-from-${leader.brokerId}`,
      requestTimeoutMs,
      log,
    );
  }

  fetch(request: FetchRequest): Promise<FetchResponse> {
    // The leader may hold a fetch for its max wait before it answers.
    return this.#connection.request(Apis.Fetch, request, { extraTimeout: request.maxWaitMs });
  }

  offsetsForLeaderEpoch(request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    return this.#connection.request(Apis.OffsetForLeaderEpoch, request);
  }

  listOffsets(request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
    return this.#connection.request(Apis.ListOffsets, request);
  }

  close(): void {
    this.#connection.disconnect();
  }
}
