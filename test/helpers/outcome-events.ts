// Outcome events as the ledger writes them to points.events, for the notification and analytics
// tests: a builder with plausible defaults, and a producer that keys them by userId like the ledger.
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import { EVENTS_TOPIC, pointsEventSchema, type PointsEvent } from "../../apps/shared/topics.ts";

export function outcomeEvent(fields: Partial<PointsEvent> & Pick<PointsEvent, "eventId">): PointsEvent {
  const event: PointsEvent = {
    commandId: fields.eventId,
    type: "charge",
    status: "applied",
    userId: "u1",
    amount: 100,
    balanceAfter: 100,
    storeId: "store-1",
    terminalId: "store-1-pos-1",
    issuedAt: "2026-01-01T10:15:00.000Z",
    appliedAt: "2026-01-01T10:15:00.250Z",
    source: { topic: "points.commands", partition: 0, offset: "0" },
    ...fields,
  };
  return pointsEventSchema.parse(event);
}

export interface EventsProducer {
  send(events: PointsEvent[]): Promise<void>;
  /** Any bytes, for values that are not outcome events. */
  sendRaw(key: string, value: string): Promise<void>;
  disconnect(): Promise<void>;
}

/** Creates points.events with `partitions` partitions and connects a producer to it. */
export async function connectEventsProducer(brokerAddress: string, partitions: number): Promise<EventsProducer> {
  const kafka = await createKafka({ clientId: "outcome-events-test", brokers: [brokerAddress], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: EVENTS_TOPIC, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  return {
    async send(events) {
      await producer.send({ topic: EVENTS_TOPIC, acks: -1, messages: events.map((event) => ({ key: event.userId, value: JSON.stringify(event) })) });
    },
    async sendRaw(key, value) {
      await producer.send({ topic: EVENTS_TOPIC, acks: -1, messages: [{ key, value }] });
    },
    disconnect: () => producer.disconnect(),
  };
}
