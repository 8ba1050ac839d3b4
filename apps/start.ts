// `npm start`: the whole demo on one machine. Migrates the SQLite file, starts the bundled broker
// (unless KAFKA_BROKERS points elsewhere), seeds a fresh data directory, then starts every service
// and tells where to look. Ctrl-C / SIGTERM stops the services, then the broker. `--brokers N` (or
// BROKERS=N) bundles a KRaft cluster of N broker processes instead of the lone broker, with the
// demo's topics replicated; `--help` lists it and the environment it reads.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { needsSeed, seedDemo } from "../seed/seed-demo.ts";
import { replicatedTopicDefaults, startBrokerCluster } from "./broker-cluster.ts";
import { demoServices, serviceReadyLine, serviceScript } from "./services.ts";
import { createCli, environmentHelp, integerOption, usageError } from "./shared/cli.ts";
import { type AppConfig, ConfigError, loadConfig, optionalIntFrom } from "./shared/config.ts";
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

const clusterHelp = `

Cluster (--brokers N, or BROKERS=N):
  N broker processes form one KRaft cluster instead of the lone broker; the first three are also its
  controller quorum. Ports BROKER_PORT, BROKER_PORT+1, ... (BROKER_PORT=0: free ones); data in
  DATA_DIR/cluster/broker-<id>. With 3 brokers or more, points.commands, points.events and
  __consumer_offsets have replication factor 3 and min.insync.replicas=2. A broker that dies is
  restarted like a service.`;

async function main(): Promise<void> {
  const program = createCli(
    "start",
    "The whole demo on one machine: migrates the database, starts the bundled broker (unless KAFKA_BROKERS points elsewhere), seeds a fresh data directory and starts every service. Ctrl-C stops everything.",
  );
  program
    .option(
      "--brokers <n>",
      "run the demo on a KRaft cluster of N broker processes (or BROKERS=N; default: one lone broker)",
      integerOption(program, "brokers"),
    )
    .addHelpText("after", environmentHelp + clusterHelp)
    .parse();
  let config: AppConfig;
  let clusterSize: number | undefined;
  try {
    config = loadConfig();
    clusterSize = program.opts<{ brokers?: number }>().brokers ?? optionalIntFrom(process.env, "BROKERS", 1);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const external = (process.env.KAFKA_BROKERS ?? "").trim() !== "";
  if (clusterSize !== undefined && external)
    usageError(program, "--brokers (BROKERS) starts a cluster of its own, but KAFKA_BROKERS points at brokers already");
  if (clusterSize !== undefined && config.brokerPort !== 0 && config.brokerPort + clusterSize - 1 > 65535)
    usageError(program, `BROKER_PORT ${config.brokerPort} leaves no room for ${clusterSize} brokers`);
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
    if (clusterSize !== undefined) {
      const cluster = await startBrokerCluster(supervisor, {
        brokers: clusterSize,
        dataDir: path.join(config.dataDir, "cluster"),
        host: "127.0.0.1",
        basePort: config.brokerPort,
        configs: { "num.partitions": String(config.partitions), ...replicatedTopicDefaults(clusterSize) },
        show: brokerLineWorthShowing,
      });
      brokers = cluster.bootstrap;
    } else if (!external) {
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
    if (clusterSize === undefined) say(`  broker: ${brokers.join(",")}${external ? " (external)" : ""}`);
    else {
      const { "default.replication.factor": factor, "min.insync.replicas": minInsync } =
        replicatedTopicDefaults(clusterSize);
      say(`  brokers: ${brokers.join(",")} (a ${clusterSize}-broker KRaft cluster)`);
      say(`  topics at replication factor ${factor}, min.insync.replicas=${minInsync}`);
    }
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
