// Sending a committed batch's outcome events to points.events: keyed by userId (so a user's events
// share a partition, in order), acks=-1, in sends small enough for the broker to take whole.
// Holds no state of its own; the producer is the service's.
import type { ServiceContext } from "../shared/consumer-service.ts";
import { EVENTS_TOPIC, type PointsEvent } from "../shared/topics.ts";

type Producer = ReturnType<ServiceContext["kafka"]["producer"]>;

/**
 * Bytes of keys and values per send. A send becomes one record batch per partition, and a batch
 * over the topic's max.message.bytes (1 MiB by default) is refused as a whole; a fetched batch of
 * commands (up to 1 MiB) has outcome events about twice its size.
 */
export const MAX_SEND_BYTES = 512 * 1024;

export function* sendSizedGroups<M extends { key: string; value: string }>(
  messages: M[],
  maxBytes = MAX_SEND_BYTES,
): Generator<M[]> {
  let group: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
    if (group.length > 0 && bytes + size > maxBytes) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += size;
  }
  if (group.length > 0) yield group;
}

/** Sends the events in order, one send after another so a user's stay in order; resolves once all are acknowledged. */
export async function publishOutcomes(
  producer: Producer,
  outcomes: PointsEvent[],
  maxBytes = MAX_SEND_BYTES,
): Promise<void> {
  for (const messages of sendSizedGroups(
    outcomes.map((event) => ({ key: event.userId, value: JSON.stringify(event) })),
    maxBytes,
  )) {
    await producer.send({ topic: EVENTS_TOPIC, acks: -1, messages });
  }
}
