// `npm start`: the whole demo on one machine. Migrates the SQLite file, starts the bundled broker
// (unless KAFKA_BROKERS points elsewhere), seeds a fresh data directory, then starts every service
// and tells where to look. Ctrl-C / SIGTERM stops the services, then the broker. It takes no
// arguments (`--help` lists the environment it reads).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { needsSeed, seedDemo } from "../seed/seed-demo.ts";
import { demoServices, serviceReadyLine, serviceScript } from "./services.ts";
import { createCli, environmentHelp } from "./shared/cli.ts";
import { type AppConfig, ConfigError, loadConfig } from "./shared/config.ts";
import { databaseFilePath, migrate } from "./shared/db/client.ts";
import { Supervisor } from "./supervisor.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The broker logs JSON lines; the demo's console shows only its warnings and errors. */
function brokerLineWorthShowing(line: string): boolean {
  if (!line.startsWith("{")) return !line.startsWith("listening on");
  try {
    const level = (JSON.parse(line) as { level?: string }).level;
    return level === "warn" || level === "error";
  } catch {
    return true;
  }
}

async function main(): Promise<void> {
  createCli(
    "start",
    "The whole demo on one machine: migrates the database, starts the bundled broker (unless KAFKA_BROKERS points elsewhere), seeds a fresh data directory and starts every service. Ctrl-C stops everything.",
  )
    .addHelpText("after", environmentHelp)
    .parse();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const migration = migrate(config.databaseUrl);
  if (migration.applied.length > 0)
    say(`database ${databaseFilePath(config.databaseUrl)}: applied ${migration.applied.join(", ")}`);

  let shuttingDown = false;
  const supervisor = new Supervisor(say, (label) => void shutdown(`${label} keeps crashing`, 1));
  const shutdown = async (why: string, code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say(`${why}: stopping services and broker`);
    await supervisor.stopAll();
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

  try {
    let brokers = config.brokers;
    const external = (process.env.KAFKA_BROKERS ?? "").trim() !== "";
    if (!external) {
      const match = await supervisor.start({
        label: "broker",
        script: "broker/server/main.ts",
        args: [
          "--host",
          "127.0.0.1",
          "--port",
          String(config.brokerPort),
          "--data-dir",
          path.join(config.dataDir, "broker"),
          "--config",
          `num.partitions=${config.partitions}`,
        ],
        readyLine: /listening on (\S+)/,
        show: brokerLineWorthShowing,
      });
      brokers = [match[1]!];
    }
    const serviceEnv = {
      DATA_DIR: config.dataDir,
      DATABASE_URL: config.databaseUrl,
      KAFKA_BROKERS: brokers.join(","),
      PORT: String(config.httpPort),
    };
    const serviceConfig = { ...config, brokers };

    if (await needsSeed(serviceConfig)) {
      const seeded = await seedDemo(serviceConfig);
      say(
        `seeded ${seeded.stores} stores, ${seeded.terminals} terminals and ${seeded.users} users with opening balances`,
      );
    }

    let apiUrl = "";
    for (const name of demoServices) {
      const match = await supervisor.start({
        label: name,
        script: serviceScript(name),
        env: serviceEnv,
        readyLine: serviceReadyLine,
        // The summary below prints the API's address once.
        show: (line) => !/points-api listening on/.test(line),
      });
      if (match[1]) apiUrl = match[1];
    }

    say("");
    say(`points demo running; all state in ${config.dataDir}`);
    say(`  broker: ${brokers.join(",")}${external ? " (external)" : ""}`);
    say(`  points-api listening on ${apiUrl}`);
    say(`  demo page: ${apiUrl}/   OpenAPI: ${apiUrl}/api/openapi.json`);
    say(`  consumer groups: ledger, notification, analytics (more instances: npm run svc -- ledger)`);
    say(
      `  try: curl -s -X POST ${apiUrl}/api/points/charge -H 'content-type: application/json' -d '{"userId":"user-0001","amount":500,"storeId":"store-1","terminalId":"store-1-pos-1"}'`,
    );
    say("Ctrl-C stops everything.");
  } catch (error) {
    say(`start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown("startup failed", 1);
  }
}

await main();
