// Outcome events as the ledger writes them to points.events, for the notification and analytics
// tests: a builder with plausible defaults, and a producer that keys them by userId like the ledger.

import { after, before } from "node:test";
import { createDb, type Db } from "../../apps/shared/db/client.ts";
import { EVENTS_TOPIC, type PointsEvent, pointsEventSchema } from "../../apps/shared/topics.ts";
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import { quickGroupBrokerConfig } from "../broker/client/helpers.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "./app-process.ts";
import { type BrokerProcess, startBroker } from "./broker-process.ts";
import { cleanupAll } from "./wait.ts";

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
  const kafka = await createKafka({
    clientId: "outcome-events-test",
    brokers: [brokerAddress],
    logLevel: logLevel.NOTHING,
  });
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
      await producer.send({
        topic: EVENTS_TOPIC,
        acks: -1,
        messages: events.map((event) => ({ key: event.userId, value: JSON.stringify(event) })),
      });
    },
    async sendRaw(key, value) {
      await producer.send({ topic: EVENTS_TOPIC, acks: -1, messages: [{ key, value }] });
    },
    disconnect: () => producer.disconnect(),
  };
}

/** An events consumer service under test: a broker, migrated SQLite files, a producer of events. */
export interface EventsServiceRig {
  /** The service's own file (its tables). */
  readonly db: Db;
  /** points-api's file: stores, terminals, users. */
  readonly directoryDb: Db;
  readonly producer: EventsProducer;
  /** Starts (another) process of the service. */
  start(): Promise<ServiceProcess>;
}

/**
 * Registers before/after hooks in the calling suite: a broker, app environment, Prisma client and
 * points.events producer before; every started process killed and everything removed after.
 */
export function eventsServiceRig(
  service: "notification" | "analytics",
  { partitions, prepare }: { partitions: number; prepare?: (directoryDb: Db) => Promise<unknown> },
): EventsServiceRig {
  let broker: BrokerProcess | undefined;
  let app: AppEnv | undefined;
  let db: Db | undefined;
  let directoryDb: Db | undefined;
  let producer: EventsProducer | undefined;
  const services: ServiceProcess[] = [];
  before(async () => {
    broker = await startBroker({ config: quickGroupBrokerConfig });
    app = createAppEnv(broker.address);
    db = createDb(app.databaseUrlOf(service));
    directoryDb = createDb(app.databaseUrl);
    await prepare?.(directoryDb);
    producer = await connectEventsProducer(broker.address, partitions);
  });
  after(async () => {
    await cleanupAll(
      ...services.map((s) => () => s.kill()),
      () => producer?.disconnect(),
      () => db?.$disconnect(),
      () => directoryDb?.$disconnect(),
      () => broker?.cleanup(),
      () => app?.cleanup(),
    );
  });
  return {
    get db() {
      return db!;
    },
    get directoryDb() {
      return directoryDb!;
    },
    get producer() {
      return producer!;
    },
    async start() {
      const process = await startService(service, app!.env({ POINTS_PARTITIONS: String(partitions) }));
      services.push(process);
      return process;
    },
  };
}
