// Everything a ledger process test runs against, all real: a broker process (quick group
// settings), a migrated SQLite file, the two topics with 6 partitions, a producer of commands, a
// reader of points.events, and ledger processes started as `apps/ledger/main.ts`.
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import type { PointsCommand } from "../../../apps/shared/topics.ts";
import { quickGroupBrokerConfig } from "../../broker/client/helpers.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAllWithin, waitFor } from "../../helpers/wait.ts";
import {
  type CommandsProducer,
  connectCommandsProducer,
  createTopics,
  differencesFromReplay,
  type EventsReader,
  ledgerTables,
  readEvents,
} from "./ledger-fixture.ts";

export interface LedgerRig {
  broker: BrokerProcess;
  app: AppEnv;
  /** The ledger's file. */
  db: Db;
  /** points-api's file: stores, terminals, users. */
  directoryDb: Db;
  producer: CommandsProducer;
  events: EventsReader;
  /** Starts one more ledger process; `env` is added to the app's environment. */
  startLedger(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Every ledger's output so far, for failure messages. */
  outputs(): string;
  /** Waits until the ledger's tables hold exactly one correct entry per command and the balances of a sequential replay. */
  waitForReplay(commands: PointsCommand[]): Promise<void>;
  /** Waits until every command's outcome is on points.events. */
  waitForEvents(commands: PointsCommand[]): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startLedgerRig(baseEnv: Record<string, string> = {}): Promise<LedgerRig> {
  const broker = await startBroker({ config: quickGroupBrokerConfig });
  const app = createAppEnv(broker.address, baseEnv);
  await createTopics(broker.address);
  const db = createDb(app.databaseUrlOf("ledger"));
  const directoryDb = createDb(app.databaseUrl);
  const producer = await connectCommandsProducer(broker.address);
  const events = await readEvents(broker.address);
  const ledgers: ServiceProcess[] = [];
  const outputs = () => ledgers.map((l, i) => `--- ledger #${i + 1}:\n${l.output()}`).join("\n");

  return {
    broker,
    app,
    db,
    directoryDb,
    producer,
    events,
    outputs,
    async startLedger(env = {}) {
      const ledger = await startService("ledger", app.env(env));
      ledgers.push(ledger);
      return ledger;
    },
    async waitForReplay(commands) {
      const distinct = new Set(commands.map((c) => c.commandId)).size;
      let problems: string[] = [];
      await waitFor(
        async () => {
          if ((await db.ledgerEntry.count()) < distinct) return false;
          problems = differencesFromReplay(await ledgerTables(db), commands);
          return problems.length === 0;
        },
        {
          timeoutMs: 90_000,
          intervalMs: 200,
          message: () => `${distinct} commands applied as in a sequential replay; ${problems.join("; ")}\n${outputs()}`,
        },
      );
    },
    async waitForEvents(commands) {
      const missing = () => {
        const emitted = events.byId();
        return commands.filter((c) => !emitted.has(c.commandId));
      };
      await waitFor(() => missing().length === 0, {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: () =>
          `an outcome event for every command; missing ${missing().length}, e.g. ${missing()
            .slice(0, 3)
            .map((c) => c.commandId)
            .join(", ")}\n${outputs()}`,
      });
    },
    cleanup: () =>
      cleanupAllWithin(
        10_000,
        ...ledgers.map((l) => () => l.kill()),
        () => events.disconnect(),
        () => producer.disconnect(),
        () => db.$disconnect(),
        () => directoryDb.$disconnect(),
        () => broker.cleanup(),
        () => app.cleanup(),
      ),
  };
}
