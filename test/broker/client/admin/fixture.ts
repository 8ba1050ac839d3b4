// Both admins on one real broker: ours and the real kafkajs's, so each test can make the same
// call on both and compare what comes back. `useAdmins` gives them to a whole describe block.
import { after, before } from "node:test";
import { type Admin as KafkajsAdmin, Kafka as KafkajsKafka, logLevel as kafkajsLogLevel } from "kafkajs";
import { type Admin, createAdmin } from "../../../../broker/client/admin/index.ts";
import type { RetryOptions } from "../../../../broker/client/retry.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { ourCluster, quickGroupBrokerConfig, silentLogger } from "../helpers.ts";

export { rejectionOf } from "../helpers.ts";

/** Few, quick retries: errors that kafkajs reports after retrying arrive within a second. */
export const quickRetry: RetryOptions = { retries: 2, initialRetryTime: 50, maxRetryTime: 200 };

export interface AdminFixture {
  broker: BrokerProcess;
  ours: Admin;
  kafkajs: KafkajsAdmin;
  kafka: KafkajsKafka;
  cleanup(): Promise<void>;
}

export function createOurAdmin(address: string, retry: RetryOptions = quickRetry): Admin {
  const cluster = ourCluster(address, {
    clientId: "admin-test",
    requestTimeout: 10_000,
    retry,
    allowAutoTopicCreation: false,
  });
  return createAdmin({ cluster, logger: silentLogger.namespace("Admin") });
}

export async function startAdmins(): Promise<AdminFixture> {
  const broker = await startBroker({ config: quickGroupBrokerConfig });
  const kafka = new KafkajsKafka({
    clientId: "kafkajs-admin-test",
    brokers: [broker.address],
    logLevel: kafkajsLogLevel.NOTHING,
    retry: quickRetry,
  });
  const ours = createOurAdmin(broker.address);
  const kafkajs = kafka.admin();
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled([ours.disconnect(), kafkajs.disconnect()]);
    await broker.cleanup();
  };
  try {
    await Promise.all([ours.connect(), kafkajs.connect()]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { broker, ours, kafkajs, kafka, cleanup };
}

/** For a describe block: both admins started before its tests and cleaned up after them; read the fields inside tests. */
export function useAdmins(): AdminFixture {
  let started: AdminFixture | undefined;
  before(async () => {
    started = await startAdmins();
  });
  after(async () => {
    await started?.cleanup();
  });
  const fixture = (): AdminFixture => {
    if (started === undefined) throw new Error("the admins have not started");
    return started;
  };
  return {
    get broker() {
      return fixture().broker;
    },
    get ours() {
      return fixture().ours;
    },
    get kafkajs() {
      return fixture().kafkajs;
    },
    get kafka() {
      return fixture().kafka;
    },
    cleanup: () => fixture().cleanup(),
  };
}

/** What an error is, without its wording (each client words the broker's codes its own way). */
export function errorShape(error: unknown): Record<string, unknown> {
  const e = error as {
    name?: string;
    type?: string;
    code?: number;
    retriable?: boolean;
    topic?: string;
    cause?: unknown;
    errors?: unknown[];
    groups?: { groupId: string; errorCode: number; error?: unknown }[];
  };
  const shape: Record<string, unknown> = { name: e.name, retriable: e.retriable };
  if (e.type !== undefined) shape.type = e.type;
  if (e.code !== undefined) shape.code = e.code;
  if (e.topic !== undefined) shape.topic = e.topic;
  if (e.cause !== undefined) shape.cause = errorShape(e.cause);
  if (e.errors !== undefined) shape.errors = e.errors.map(errorShape);
  if (e.groups !== undefined)
    shape.groups = e.groups.map((g) => ({
      groupId: g.groupId,
      errorCode: g.errorCode,
      error: g.error && errorShape(g.error),
    }));
  return shape;
}
