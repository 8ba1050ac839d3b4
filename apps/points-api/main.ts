// points-api as its own process: it prints one ready line with its URL, and stops on SIGINT/SIGTERM.
import { loadConfig } from "../shared/config.ts";
import { createLog } from "../shared/log.ts";
import { runUntilSignalled } from "../shared/process.ts";
import { startPointsApi } from "./server.ts";

const log = createLog("points-api");
await runUntilSignalled(log, async () => {
  const api = await startPointsApi(loadConfig(), log);
  log.info(`points-api listening on ${api.url}`);
  return api;
});
