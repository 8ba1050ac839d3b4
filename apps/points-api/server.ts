// points-api wired to the real world: a Kafka client (ours, or kafkajs with KAFKA_CLIENT=kafkajs),
// the topics it writes and reports on, an idempotent producer, the SQLite file, an HTTP server.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import type { AppConfig } from "../shared/config.ts";
import { ensureTopics } from "../shared/consumer-service.ts";
import { createDb } from "../shared/db/client.ts";
import { createOtherServicesDbs, disconnectAll } from "../shared/db/service-databases.ts";
import { warnIfBeyondLoopback } from "../shared/exposure.ts";
import { type AppLog, createLog } from "../shared/log.ts";
import { keyHashesPath } from "../shared/terminal-keys.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../shared/topics.ts";
import { createApp } from "./app.ts";
import { createKafkaCommandPublisher } from "./command-publisher.ts";
import { createKafkaGroupInspector } from "./group-inspector.ts";
import { createAppServer } from "./http.ts";
import { createTerminalKeysRepository } from "./repositories/terminal-keys.ts";

export interface PointsApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * Requests give up on the broker after a few quick retries so a POS gets a 503 within seconds
 * instead of hanging. After an abandoned idempotent send our producer takes a new producer id,
 * so it stays usable (and loses nothing) once the broker is back.
 */
const REQUEST_RETRY = { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 };
const CONNECTION_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
/** In-flight requests (a ?wait, say) get this long to finish when the server stops. */
const DRAIN_MS = 2000;

export async function startPointsApi(config: AppConfig, log: AppLog = createLog("points-api")): Promise<PointsApi> {
  // Startup keeps the client's default, patient retries: the broker may still be starting.
  const kafka = await createKafka({
    clientId: "points-api",
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  const commandsTopic = config.commandsTopic ?? COMMANDS_TOPIC;
  await ensureTopics(kafka, [commandsTopic, EVENTS_TOPIC], config.partitions);

  const producer = kafka.producer({ idempotent: true, retry: REQUEST_RETRY });
  const admin = kafka.admin({ retry: REQUEST_RETRY });
  const db = createDb(config.databaseUrl);
  const otherServicesDbs = createOtherServicesDbs(config.databaseUrl);
  const release = async () => {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    await Promise.allSettled([db.$disconnect(), disconnectAll(otherServicesDbs)]);
  };

  let server: Server;
  try {
    await producer.connect();
    await admin.connect();
    const app = createApp({
      labDir: path.join(config.dataDir, "lab"),
      db,
      otherServicesDbs,
      publisher: createKafkaCommandPublisher(producer, config.commandKey, commandsTopic),
      groups: createKafkaGroupInspector(admin),
      terminalKeys: createTerminalKeysRepository(keyHashesPath(config.dataDir)),
      config,
      log,
    });
    server = createAppServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.httpPort, config.httpHost, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await release();
    throw error;
  }

  const { address, port } = server.address() as AddressInfo;
  warnIfBeyondLoopback(log, "points-api", config.httpHost, port);
  if (!existsSync(keyHashesPath(config.dataDir)))
    log.warn(
      `no terminal has a key yet (${keyHashesPath(config.dataDir)}): every command is refused until one does (npm run seed gives the demo's terminals theirs)`,
    );
  const host = address.includes(":") ? `[${address}]` : address;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      (stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const drainTimer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
        await closed;
        clearTimeout(drainTimer);
        await release();
        log.info("stopped");
      })()),
  };
}
