// kafkajs's instrumentation events for the producer: names, event shape ({ id, type, timestamp,
// payload }) and listener contract (a failing listener is logged, never breaks the producer).
// Events are only built when someone listens, so the hot path pays one Map lookup.
import { EventEmitter } from "node:events";
import { KafkaJSNonRetriableError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { InstrumentationEvent, ProducerEvents } from "./types.ts";

export const events: ProducerEvents = {
  CONNECT: "producer.connect",
  DISCONNECT: "producer.disconnect",
  REQUEST: "producer.network.request",
  REQUEST_TIMEOUT: "producer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "producer.network.request_queue_size",
};

export type ProducerEventName = ProducerEvents[keyof ProducerEvents];

const eventNames = new Set<string>(Object.values(events));
const eventKeys = Object.keys(events).map((key) => `producer.events.${key}`).join(", ");

let nextEventId = 0;

export class Instrumentation {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {}

  listens(eventName: ProducerEventName): boolean {
    return this.emitter.listenerCount(eventName) > 0;
  }

  emit(eventName: ProducerEventName, payload: unknown = null): void {
    if (!this.listens(eventName)) return;
    const event: InstrumentationEvent<unknown> = { id: String(nextEventId++), type: eventName, timestamp: Date.now(), payload };
    this.emitter.emit(eventName, event);
  }

  on(eventName: string, listener: (event: InstrumentationEvent<any>) => unknown): () => void {
    if (!eventNames.has(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${eventKeys}`);
    const wrapped = (event: InstrumentationEvent<unknown>): void => {
      const failed = (error: unknown): void => {
        const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined };
        this.logger.error(`Failed to execute listener: ${message}`, { eventName, stack });
      };
      try {
        Promise.resolve(listener(event)).catch(failed);
      } catch (error) {
        failed(error);
      }
    };
    this.emitter.addListener(eventName, wrapped);
    return () => { this.emitter.removeListener(eventName, wrapped); };
  }
}
