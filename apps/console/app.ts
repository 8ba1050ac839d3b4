// The console's HTTP app: its page (apps/console/public/), uPlot from node_modules, the read routes
// and, behind the fault guard, the fault routes; errors in the apps' one shape. Built from its
// parts, so tests choose them (server.ts wires the real ones).
import { fileURLToPath } from "node:url";
import express, { type Express } from "express";
import { errorHandler, unknownRoute } from "../points-api/http.ts";
import { type AppLog, createLog } from "../shared/log.ts";
import { type FaultRouteDeps, faultRoutes } from "./routes/faults.ts";
import { type ReadRouteDeps, readRoutes } from "./routes/read.ts";

export const CONSOLE_PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
export const UPLOT_DIR = fileURLToPath(new URL("../../node_modules/uplot/dist/", import.meta.url));

export type ConsoleAppDeps = ReadRouteDeps & FaultRouteDeps & { log?: AppLog; publicDir?: string };

const placeholder = `<!doctype html><meta charset="utf-8"><title>Console</title>
<p>The console's page is not there yet (apps/console/public/). Its API: <a href="/api/cluster">/api/cluster</a>,
<a href="/api/groups">/api/groups</a>, <a href="/api/events">/api/events</a>.</p>`;

export function createConsoleApp(deps: ConsoleAppDeps): Express {
  const publicDir = deps.publicDir ?? CONSOLE_PUBLIC_DIR;
  const api = express.Router();
  api.use("/faults", faultRoutes(deps));
  api.use(readRoutes(deps));
  api.use(unknownRoute);

  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use("/api", api);
  app.use("/vendor/uplot", express.static(UPLOT_DIR));
  app.use(express.static(publicDir));
  // Until the page is written, "/" says where the API is.
  app.get("/", (_req, res) => {
    res.type("html").send(placeholder);
  });
  app.use(unknownRoute);
  app.use(errorHandler(deps.log ?? createLog("console")));
  return app;
}
