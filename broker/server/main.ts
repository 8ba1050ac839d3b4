// `npm run broker -- --port 9092 --data-dir ./data/broker [--host H] [--node-id N] [--config k=v]`
// Prints `listening on HOST:PORT` on stdout when ready; logs JSON lines on stderr.
import { Broker } from "./broker.ts";
import { ConfigError, parseArgs } from "./config.ts";
import { createLogger } from "./logger.ts";

const log = createLogger(process.env.LOG_LEVEL === "debug" ? "debug" : "info");

let config;
try {
  config = parseArgs(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`broker: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const broker = new Broker(config, log);
try {
  const { host, port } = await broker.start();
  process.stdout.write(`listening on ${host}:${port}\n`);
} catch (err) {
  process.stderr.write(`broker: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  broker.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error("unclean shutdown", { error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
