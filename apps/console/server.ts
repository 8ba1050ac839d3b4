// Starts the console (the `npm start` process runs it beside the services it supervises): reads the
// brokers' admin listeners, the topics through our client, the users from the SQLite file, and
// serves the page and its API on CONSOLE_PORT. Wiring only: each part is its own module.
//
// Ownership: startConsole's RunningConsole owns every part it built (poller, feed, tail, reader,
// admin client, database client, HTTP server) and closes them all.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Admin } from "../../broker/client/admin/index.ts";
import { Kafka, logLevel } from "../../broker/client/index.ts";
import { createUsersRepository } from "../points-api/repositories/users.ts";
import { createDb } from "../shared/db/client.ts";
import { ownerDatabaseUrl } from "../shared/db/service-databases.ts";
import { AppError } from "../shared/errors.ts";
import { warnIfBeyondLoopback } from "../shared/exposure.ts";
import { type AppLog, createLog } from "../shared/log.ts";
import type { ChildSpec } from "../supervisor.ts";
import { AdminPoller, type ConsoleBroker } from "./admin-poller.ts";
import { createConsoleApp } from "./app.ts";
import { clusterView } from "./cluster-view.ts";
import { EventFeed } from "./event-feed.ts";
import { faultsAllowedOn } from "./fault-guard.ts";
import { FaultControls, type Processes } from "./faults.ts";
import { GroupLag } from "./group-lag.ts";
import { LiveTail } from "./live-tail.ts";
import { createMessageBrowser } from "./message-browser.ts";
import { createPartitionGrowth } from "./partition-growth.ts";
import { PartitionReader } from "./partition-reader.ts";

export interface ConsoleOptions {
  /** The address it binds (HOST; loopback unless told): fault controls exist only on a loopback one. */
  host: string;
  /** 0 takes a free port. */
  port: number;
  /** What the fault routes want in x-console-token. */
  token: string;
  brokers: ConsoleBroker[];
  /** The Kafka bootstrap list. */
  bootstrap: string[];
  pointsApi: string;
  databaseUrl: string;
  commandKey: "userId" | "none";
  /** The processes the fault controls act on; absent: no fault controls (brokers elsewhere). */
  processes?: Processes;
  /** The spec of an added ledger instance. */
  ledgerSpec?(label: string): ChildSpec;
  /** The ledger's session timeout (default 10000 ms). */
  sessionTimeoutMs?: number;
  /** How long a stalled ledger member shows as stalled (default 25000 ms). */
  stallMs?: number;
  /** How often the brokers' admin listeners are read (default 1000 ms). */
  pollIntervalMs?: number;
  log?: AppLog;
}

export interface RunningConsole {
  url: string;
  faultsEnabled: boolean;
  close(): Promise<void>;
}

/** Bytes one lag-in-seconds read fetches: it wants one record's timestamp. */
const ONE_RECORD_FETCH_BYTES = 64 * 1024;

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const faultsEnabled = faultsAllowedOn(options.host);
  const reader = new PartitionReader(options.bootstrap);
  const poller = new AdminPoller(options.brokers, { intervalMs: options.pollIntervalMs });
  const events = new EventFeed(options.brokers);
  const tail = new LiveTail(reader);
  const groupLag = new GroupLag(async (topic, partition, offset) => {
    const [record] = await reader.read(topic, partition, offset, 1, ONE_RECORD_FETCH_BYTES);
    return record === undefined ? null : Number(record.timestamp);
  });
  poller.onRound((readings) => groupLag.sample(readings).then(() => undefined));
  const db = createDb(options.databaseUrl);
  const ledgerDb = createDb(ownerDatabaseUrl(options.databaseUrl, "ledger"));
  const users = createUsersRepository(db, ledgerDb);
  let admin: Admin | undefined;
  const connectedAdmin = async (): Promise<Admin> => {
    if (!admin) {
      const created = new Kafka({
        clientId: "console",
        brokers: options.bootstrap,
        logLevel: logLevel.NOTHING,
      }).admin();
      await created.connect();
      admin = created;
    }
    return admin;
  };
  const partitionCount = async (topic: string): Promise<number> => {
    try {
      return await reader.partitionCount(topic);
    } catch (error) {
      throw AppError.notFound(`no topic ${topic} (${error instanceof Error ? error.message : String(error)})`);
    }
  };
  const processOf = (label: string) => {
    const child = options.processes?.children().find((c) => c.label === label);
    return child && { pid: child.pid, paused: child.status === "paused" };
  };
  const faults =
    options.processes === undefined
      ? null
      : new FaultControls({
          processes: options.processes,
          brokers: options.brokers,
          events,
          ledgerSpec: (label) => {
            if (!options.ledgerSpec) throw new Error("this console cannot start ledger instances");
            return options.ledgerSpec(label);
          },
          sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
          stallMs: options.stallMs ?? 25_000,
        });

  const app = createConsoleApp({
    overview: {
      pointsApi: options.pointsApi,
      brokers: options.brokers.length,
      faultsEnabled,
      startedAt: Date.now(),
    },
    cluster: async () => clusterView(await poller.latest(), processOf),
    groups: () => groupLag.groups(),
    events,
    browser: createMessageBrowser(reader),
    tail,
    partitionCount,
    services: () => ({ ledger: faults?.ledgers() ?? [] }),
    guard: { token: options.token, enabled: faultsEnabled },
    faults,
    growth: createPartitionGrowth({
      userIds: async () => {
        const ids: string[] = [];
        for (let page = await users.pageAfter(undefined, 1000); ; page = await users.pageAfter(ids.at(-1), 1000)) {
          ids.push(...page.slice(0, 1000).map((u) => u.id));
          if (page.length <= 1000) return ids;
        }
      },
      partitionCount,
      admin: { createPartitions: async (request) => (await connectedAdmin()).createPartitions(request) },
      commandKey: options.commandKey,
    }),
    recordFault: (cause) => events.record("fault", cause),
    log: options.log,
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  events.start();
  poller.start();
  const { port } = server.address() as AddressInfo;
  warnIfBeyondLoopback(options.log ?? createLog("console"), "the console", options.host, port);
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  return {
    url: `http://${host}:${port}`,
    faultsEnabled,
    async close() {
      poller.stop();
      events.stop();
      tail.close();
      faults?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      reader.disconnect();
      await admin?.disconnect();
      await Promise.allSettled([db.$disconnect(), ledgerDb.$disconnect()]);
    },
  };
}
