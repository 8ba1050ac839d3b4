// kafkajs's instrumentation contract for the admin: `admin.on(admin.events.X, listener)` gets
// `{ id, type, timestamp, payload }` events and returns a function that removes the listener.
// A listener's failure is logged, never thrown into the admin call that emitted the event.
import { EventEmitter } from "node:events";
import { KafkaJSNonRetriableError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { AdminEventName, AdminEvents, InstrumentationEvent } from "./types.ts";

export const adminEvents: AdminEvents = Object.freeze({
  CONNECT: "admin.connect",
  DISCONNECT: "admin.disconnect",
  REQUEST: "admin.network.request",
  REQUEST_TIMEOUT: "admin.network.request_timeout",
  REQUEST_QUEUE_SIZE: "admin.network.request_queue_size",
});

const eventNames = new Set<string>(Object.values(adminEvents));
const eventKeys = Object.keys(adminEvents).map((key) => `admin.events.${key}`).join(", ");

let nextEventId = 0;

export class AdminInstrumentation {
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {}

  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<any>) => unknown): () => void {
    if (!eventNames.has(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${eventKeys}`);
    const report = (err: unknown): void => {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error(`Failed to execute listener: ${error.message}`, { eventName, stack: error.stack });
    };
    const guarded = (event: InstrumentationEvent<unknown>): void => {
      try {
        Promise.resolve(listener(event)).catch(report);
      } catch (err) {
        report(err);
      }
    };
    this.emitter.on(eventName, guarded);
    return () => { this.emitter.off(eventName, guarded); };
  }

  /** Without a payload, as kafkajs emits connect and disconnect. */
  emit(eventName: AdminEventName, payload?: unknown): void {
    if (this.emitter.listenerCount(eventName) === 0) return;
    const event: InstrumentationEvent<unknown> = { id: String(nextEventId++), type: eventName, timestamp: Date.now(), payload };
    this.emitter.emit(eventName, event);
  }
}
