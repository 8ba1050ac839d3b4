// points-api in-process on a real broker and a real SQLite file, seeded with what the services would
// have written (users, stores, an account, ledger entries of two users interleaved, notifications),
// for the suites of its read endpoints. A separate process would add nothing to these.
import { after, before } from "node:test";
import { type PointsApi, startPointsApi } from "../../../apps/points-api/server.ts";
import { type AppConfig, loadConfig } from "../../../apps/shared/config.ts";
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import {
  createOtherServicesDbs,
  disconnectAll,
  type OtherServicesDbs,
} from "../../../apps/shared/db/service-databases.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { type AppEnv, createAppEnv } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll } from "../../helpers/wait.ts";
import { seedReferences } from "./helpers.ts";

export interface SeededPointsApi {
  readonly api: PointsApi;
  /** points-api's file. */
  readonly db: Db;
  /** The ledger's, notification's and analytics' files, which it reads. */
  readonly otherServicesDbs: OtherServicesDbs;
  readonly config: AppConfig;
  /** The Authorization header of terminal t1's key, for the writes (a new user, a command). */
  readonly authorization: { authorization: string };
}

function entry(
  commandId: string,
  userId: string,
  over: { type?: string; amount: number; status?: string; balanceAfter: number; reason?: string; offset: bigint },
) {
  return {
    commandId,
    userId,
    type: over.type ?? "charge",
    amount: over.amount,
    status: over.status ?? "applied",
    balanceAfter: over.balanceAfter,
    reason: over.reason ?? null,
    storeId: "s1",
    terminalId: "t1",
    orderId: `order-${commandId}`,
    topic: "points.commands",
    partition: 2,
    offset: over.offset,
    issuedAt: new Date("2026-01-01T10:00:00Z"),
    appliedAt: new Date(`2026-01-01T10:00:0${over.offset}Z`),
  };
}

/** Registers before/after hooks in the calling suite; read the fields inside tests. */
export function useSeededPointsApi(): SeededPointsApi {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let others: OtherServicesDbs;
  let api: PointsApi;
  let config: AppConfig;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address);
    db = createDb(appEnv.databaseUrl);
    others = createOtherServicesDbs(appEnv.databaseUrl);
    await seedReferences(db);
    await others.ledger.account.createMany({ data: [{ userId: "u1", balance: 700, version: 2 }] });
    // Interleaved users: a user's ledger must come back in LedgerEntry.id order.
    await others.ledger.ledgerEntry.create({ data: entry("c1", "u1", { amount: 500, balanceAfter: 500, offset: 0n }) });
    await others.ledger.ledgerEntry.create({ data: entry("c2", "u2", { amount: 50, balanceAfter: 50, offset: 1n }) });
    await others.ledger.ledgerEntry.create({ data: entry("c3", "u1", { amount: 200, balanceAfter: 700, offset: 2n }) });
    await others.ledger.ledgerEntry.create({
      data: entry("c4", "u1", {
        type: "deduct",
        amount: 900,
        status: "rejected",
        balanceAfter: 700,
        reason: "insufficient balance",
        offset: 3n,
      }),
    });
    await others.notification.notification.createMany({
      data: [
        { userId: "u1", eventId: "c1", message: "500 points added", createdAt: new Date("2026-01-01T10:00:01Z") },
        { userId: "u1", eventId: "c3", message: "200 points added", createdAt: new Date("2026-01-01T10:00:03Z") },
        { userId: "u2", eventId: "c2", message: "50 points added", createdAt: new Date("2026-01-01T10:00:02Z") },
      ],
    });
    config = loadConfig(appEnv.env());
    api = await startPointsApi(
      config,
      createLog("points-api", () => undefined),
    );
  });

  after(async () => {
    await cleanupAll(
      () => api?.stop(),
      () => db?.$disconnect(),
      () => others && disconnectAll(others),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  return {
    get api() {
      return api;
    },
    get db() {
      return db;
    },
    get otherServicesDbs() {
      return others;
    },
    get config() {
      return config;
    },
    get authorization() {
      return appEnv.authorization("t1");
    },
  };
}
