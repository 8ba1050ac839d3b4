// kafkajs's consumer instrumentation events: the same names, the same event envelope
// ({ id, type, timestamp, payload }). An event is only built when someone listens, so the hot
// paths pay nothing for events nobody asked for.
import { EventEmitter } from "node:events";
import type { ApiDefinition } from "../../protocol/apis.ts";
import { encodeRequest } from "../../protocol/headers.ts";
import { KafkaJSRequestTimeoutError } from "../errors.ts";
import type { BrokerConnection, RequestOptions } from "../network/broker-connection.ts";
import type { ConsumerEvents, InstrumentationEvent } from "./types.ts";

export const consumerEvents: ConsumerEvents = {
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH_START: "consumer.fetch_start",
  FETCH: "consumer.fetch",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
};

export type ConsumerEventName = ConsumerEvents[keyof ConsumerEvents];

const eventNames = new Set<string>(Object.values(consumerEvents));

export function isConsumerEventName(name: string): name is ConsumerEventName {
  return eventNames.has(name);
}

let nextEventId = 0;
let nextRequestId = 0;

export class ConsumerEventEmitter {
  private readonly emitter = new EventEmitter();

  constructor(private readonly clientId: string) {
    this.emitter.setMaxListeners(0);
  }

  /**
   * Sends a request, reporting kafkajs's REQUEST and REQUEST_TIMEOUT events when someone listens.
   * The connection does not expose its correlation ids or queue, so the events carry a request
   * counter of the consumer's own as correlationId, and there is no REQUEST_QUEUE_SIZE.
   */
  request<Req, Res>(connection: BrokerConnection, api: ApiDefinition<Req, Res>, body: Req, options?: RequestOptions): Promise<Res> {
    if (!this.listens(consumerEvents.REQUEST) && !this.listens(consumerEvents.REQUEST_TIMEOUT)) return connection.request(api, body, options);
    return this.instrumentedRequest(connection, api, body, options);
  }

  private async instrumentedRequest<Req, Res>(connection: BrokerConnection, api: ApiDefinition<Req, Res>, body: Req, options?: RequestOptions): Promise<Res> {
    const createdAt = Date.now();
    const correlationId = nextRequestId++;
    const describe = () => {
      let apiVersion = -1;
      try {
        apiVersion = options?.version ?? connection.versionFor(api);
      } catch {
        // not negotiated: the request failed before it was sent
      }
      return { apiKey: api.apiKey, apiName: api.name, apiVersion, broker: connection.address, clientId: this.clientId, correlationId, createdAt, sentAt: createdAt, pendingDuration: 0 };
    };
    try {
      const response = await connection.request(api, body, options);
      this.emit(consumerEvents.REQUEST, () => {
        const request = describe();
        const size = request.apiVersion < 0 ? 0 : encodeRequest(api, request.apiVersion, correlationId, this.clientId, body).reduce((total, chunk) => total + chunk.length, 0);
        return { ...request, duration: Date.now() - createdAt, size };
      });
      return response;
    } catch (error) {
      if (error instanceof KafkaJSRequestTimeoutError) this.emit(consumerEvents.REQUEST_TIMEOUT, describe);
      throw error;
    }
  }

  listens(type: ConsumerEventName): boolean {
    return this.emitter.listenerCount(type) > 0;
  }

  /** `payload` may be a function, called only when there is a listener. */
  emit(type: ConsumerEventName, payload?: unknown): void {
    if (this.emitter.listenerCount(type) === 0) return;
    const event: InstrumentationEvent<unknown> = {
      id: String(nextEventId++),
      type,
      timestamp: Date.now(),
      payload: typeof payload === "function" ? (payload as () => unknown)() : payload,
    };
    this.emitter.emit(type, event);
  }

  addListener(type: ConsumerEventName, listener: (event: InstrumentationEvent<any>) => void): () => void {
    this.emitter.addListener(type, listener);
    return () => {
      this.emitter.removeListener(type, listener);
    };
  }
}
