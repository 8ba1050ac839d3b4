// The points-api HTTP app, built from what it needs so tests (and server.ts) choose the parts:
// the database, where commands go, how consumer groups are inspected, the terminals' keys, and the
// metrics registry (served at GET /metrics, see metrics.ts). Writes (commands, new users) need a
// POS terminal's key; reads (balances, ledger, reports, /metrics, the demo page) are open, so
// anyone who can reach the API (loopback only, unless HOST says otherwise) can watch.
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express } from "express";
import type { Registry } from "prom-client";
import type { AppConfig } from "../shared/config.ts";
import type { Db } from "../shared/db/client.ts";
import type { OtherServicesDbs } from "../shared/db/service-databases.ts";
import { type AppLog, createLog } from "../shared/log.ts";
import { createRegistry } from "../shared/metrics.ts";
import { commandEndpoint } from "./command-endpoint.ts";
import type { CommandPublisher } from "./command-publisher.ts";
import type { GroupInspector } from "./group-inspector.ts";
import { errorHandler, requireTerminal, serveAheadOfExpress, unknownRoute } from "./http.ts";
import { IdempotencyCache } from "./idempotency-cache.ts";
import { apiMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { rememberFound } from "./remember-found.ts";
import { createAnalyticsRepository } from "./repositories/analytics.ts";
import { createLedgerRepository } from "./repositories/ledger.ts";
import { createNotificationsRepository } from "./repositories/notifications.ts";
import { createStoresRepository } from "./repositories/stores.ts";
import type { TerminalKeysRepository } from "./repositories/terminal-keys.ts";
import { createUsersRepository } from "./repositories/users.ts";
import { commandAcceptor, pointsRoutes } from "./routes/points.ts";
import { reportRoutes } from "./routes/reports.ts";
import { userRoutes } from "./routes/users.ts";
import { createAnalyticsUseCases } from "./use-cases/analytics.ts";
import { createAuthenticateTerminal } from "./use-cases/authenticate-terminal.ts";
import { createGroupUseCases } from "./use-cases/groups.ts";
import { createHistoryUseCases } from "./use-cases/history.ts";
import { createStoreUseCases } from "./use-cases/stores.ts";
import { createSubmitCommand } from "./use-cases/submit-command.ts";
import { createUserUseCases } from "./use-cases/users.ts";

/** The demo page (index.html and friends); the API works without it. */
export const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

export interface AppDeps {
  /** Where `npm run lab` writes its report, served at /lab. */
  labDir?: string;
  /** points-api's own file (stores, terminals, users). */
  db: Db;
  /** Where the other services' tables are read (their files); `db` for any left out. */
  otherServicesDbs?: Partial<OtherServicesDbs>;
  publisher: CommandPublisher;
  groups: GroupInspector;
  /** The hashes of the terminals' keys, which commands and new users are checked against. */
  terminalKeys: TerminalKeysRepository;
  config: Pick<AppConfig, "maxAmount" | "commandsTopic">;
  log?: AppLog;
  /** Defaults to one of DEFAULT_IDEMPOTENCY_CAPACITY keys. */
  idempotency?: IdempotencyCache;
  now?: () => Date;
  /** The process's metrics registry; a fresh one when left out. */
  metrics?: Registry;
}

export function createApp({
  labDir,
  db,
  otherServicesDbs = {},
  publisher,
  groups,
  terminalKeys,
  config,
  log = createLog("points-api"),
  idempotency = new IdempotencyCache(),
  now = () => new Date(),
  metrics = createRegistry("points-api"),
}: AppDeps): Express {
  const users = createUsersRepository(db, otherServicesDbs.ledger);
  const stores = createStoresRepository(db);
  const ledger = createLedgerRepository(otherServicesDbs.ledger ?? db);
  const notifications = createNotificationsRepository(otherServicesDbs.notification ?? db);
  const analytics = createAnalyticsRepository(otherServicesDbs.analytics ?? db);

  const submitCommand = createSubmitCommand({
    users: { ...users, exists: rememberFound(users.exists, Boolean) },
    stores: {
      ...stores,
      exists: rememberFound(stores.exists, Boolean),
      storeOfTerminal: rememberFound(stores.storeOfTerminal, (storeId) => storeId !== null),
    },
    ledger,
    publisher,
    idempotency,
    now,
  });
  const history = createHistoryUseCases({ users, ledger, notifications });
  const authenticate = createAuthenticateTerminal(terminalKeys);
  const terminalOnly = requireTerminal(authenticate);
  const acceptCommand = commandAcceptor(submitCommand, config.maxAmount);
  const openApi = openApiDocument(config);

  const api = express.Router();
  api.use(pointsRoutes(acceptCommand, terminalOnly));
  api.use(userRoutes(createUserUseCases(users), history, terminalOnly));
  api.use(
    reportRoutes({
      stores: createStoreUseCases(stores),
      history,
      analytics: createAnalyticsUseCases({ analytics, stores, users, now }),
      groups: createGroupUseCases(groups, config.commandsTopic),
    }),
  );
  api.get("/openapi.json", (_req, res) => {
    res.json(openApi);
  });
  api.use(unknownRoute);

  const app = express();
  app.disable("x-powered-by");
  // The API answers with live data (balances, offsets, outcomes); hashing every answer for an ETag
  // took 10–20 % of a POST's time. The static files keep theirs (express.static makes its own).
  app.disable("etag");
  const measured = apiMetrics(metrics);
  // Plain commands skip express's layers (command-endpoint.ts); the express route takes the rest.
  serveAheadOfExpress(app, commandEndpoint({ acceptCommand, authenticate, metrics: measured, log }));
  app.get("/metrics", measured.serve);
  app.use("/api", measured.recordRequests);
  app.use("/api", api);
  // A missing folder is just nothing to serve: requests fall through to the 404 below.
  app.use(express.static(path.resolve(PUBLIC_DIR)));
  // The ordering lab's latest report (npm run lab writes DATA_DIR/lab/report.html).
  if (labDir) app.use("/lab", express.static(labDir));
  app.use(unknownRoute);
  app.use(errorHandler(log));
  return app;
}
