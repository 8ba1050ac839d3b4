// kafkajs's instrumentation events, for producer, consumer and admin alike: `client.on(name,
// listener)` validates the name and returns a remover; events are `{ id, type, timestamp,
// payload }`; a failing listener is logged, never thrown into the client. Events are built only
// when someone listens, so hot paths pay one listener count for events nobody asked for.
//
// Each client's emitter also hands its connections (through the Cluster) a NetworkInstrumentation
// that turns their reports into the client's own `<client>.network.*` events.
import { EventEmitter } from "node:events";
import { KafkaJSNonRetriableError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { NetworkEventKind, NetworkInstrumentation } from "./network/broker-connection.ts";
import type { InstrumentationEvent } from "./types.ts";

/** The network events every client has, as kafkajs names them. */
export interface NetworkEvents {
  REQUEST: string;
  REQUEST_TIMEOUT: string;
  REQUEST_QUEUE_SIZE: string;
}

let nextEventId = 0;

export class InstrumentationEmitter<Events extends NetworkEvents> {
  private readonly emitter = new EventEmitter();
  private readonly names: Set<string>;
  private readonly allowedNames: string;
  readonly network: NetworkInstrumentation;

  /** `clientKind` ("producer", "consumer", "admin") words the error for an unknown event name. */
  constructor(
    readonly events: Events,
    clientKind: string,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
    this.names = new Set(Object.values(events));
    this.allowedNames = Object.keys(events)
      .map((key) => `${clientKind}.events.${key}`)
      .join(", ");
    const networkEventName: Record<NetworkEventKind, string> = {
      request: events.REQUEST,
      request_timeout: events.REQUEST_TIMEOUT,
      request_queue_size: events.REQUEST_QUEUE_SIZE,
    };
    this.network = {
      listens: (kind) => this.listens(networkEventName[kind]),
      request: (payload) => this.emit(events.REQUEST, payload),
      requestTimeout: (payload) => this.emit(events.REQUEST_TIMEOUT, payload),
      requestQueueSize: (payload) => this.emit(events.REQUEST_QUEUE_SIZE, payload),
    };
  }

  listens(eventName: string): boolean {
    return this.emitter.listenerCount(eventName) > 0;
  }

  /** `payload` may be a function, called only when someone listens; connect, disconnect and stop have none, as in kafkajs. */
  emit(eventName: string, payload?: unknown): void {
    if (!this.listens(eventName)) return;
    const event: InstrumentationEvent<unknown> = {
      id: String(nextEventId++),
      type: eventName,
      timestamp: Date.now(),
      payload: typeof payload === "function" ? (payload as () => unknown)() : payload,
    };
    this.emitter.emit(eventName, event);
  }

  // biome-ignore lint/suspicious/noExplicitAny: listeners of every event kind share one registry; kafkajs types them per event name
  on(eventName: string, listener: (event: InstrumentationEvent<any>) => unknown): () => void {
    if (!this.names.has(eventName))
      throw new KafkaJSNonRetriableError(`Event name should be one of ${this.allowedNames}`);
    const report = (error: unknown): void => {
      const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined };
      this.logger.error(`Failed to execute listener: ${message}`, { eventName, stack });
    };
    const guarded = (event: InstrumentationEvent<unknown>): void => {
      try {
        Promise.resolve(listener(event)).catch(report);
      } catch (error) {
        report(error);
      }
    };
    this.emitter.addListener(eventName, guarded);
    return () => {
      this.emitter.removeListener(eventName, guarded);
    };
  }
}
