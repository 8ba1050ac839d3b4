// `npm run broker -- --port 9092 --data-dir ./data/broker [--host H] [--node-id N] [--config k=v]`
// (`--help` lists every option and property). Prints `listening on HOST:PORT` on stdout when
// ready (the first listener's, after a `listener NAME://HOST:PORT` line per listener when
// `listeners` is set), after `admin listening on http://HOST:PORT` with `--admin-port`; logs JSON lines on
// stderr; bad usage is one line on stderr and exit code 2.
import { CommanderError } from "commander";
import { Broker } from "./broker.ts";
import { type BrokerConfig, ConfigError, parseArgs } from "./config.ts";
import { createLogger } from "./logger.ts";

const log = createLogger(process.env.LOG_LEVEL === "debug" ? "debug" : "info");

let config: BrokerConfig;
try {
  config = parseArgs(process.argv.slice(2));
} catch (err) {
  if (err instanceof CommanderError && err.exitCode === 0) process.exit(0); // --help, printed
  if (err instanceof ConfigError) {
    process.stderr.write(`broker: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const broker = new Broker(config, log);
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
const installSignalHandlers = (): void => {
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
};
try {
  // The admin line comes first and does not start with "listening on", which supervisors wait for.
  const { host, port } = await broker.start({
    adminListening: (admin) => process.stdout.write(`admin listening on http://${admin.host}:${admin.port}\n`),
  });
  // Before the lines a supervisor waits for: one that signals as soon as it reads them must find the
  // handlers there (installing the first one takes a while, and until then SIGTERM kills outright).
  installSignalHandlers();
  // With `listeners`, each one's bound address, e.g. `listener SASL_PLAINTEXT://127.0.0.1:9093`.
  if (config.props.has("listeners")) {
    for (const listener of broker.listeners)
      process.stdout.write(`listener ${listener.name}://${listener.host}:${listener.port}\n`);
  }
  process.stdout.write(`listening on ${host}:${port}\n`);
} catch (err) {
  process.stderr.write(`broker: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
