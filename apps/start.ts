// `npm start`: the whole demo on one machine. Migrates the SQLite file, starts the bundled broker
// (unless KAFKA_BROKERS points elsewhere), seeds a fresh data directory, then starts every service
// and tells where to look. Ctrl-C / SIGTERM stops the services, then the broker. `--brokers N` (or
// BROKERS=N) bundles a KRaft cluster of N broker processes instead of the lone broker, with the
// demo's topics replicated; `--help` lists it and the environment it reads. Every bundled broker
// has an admin listener (ADMIN_PORT, +1 per broker), and the console (apps/console/, CONSOLE_PORT)
// runs in this process: it owns the Supervisor, so its fault controls can act on the processes.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { needsSeed, provisionAllTerminalKeys, seedDemo } from "../seed/seed-demo.ts";
import { portsFrom, replicatedTopicDefaults, startBrokerCluster } from "./broker-cluster.ts";
import type { ConsoleBroker } from "./console/admin-poller.ts";
import { type RunningConsole, startConsole } from "./console/server.ts";
import { DEFAULT_MAX_POLL_INTERVAL_MS, ledgerGroupOptionsFrom } from "./ledger/group-options.ts";
import { stallMsFrom } from "./ledger/stall.ts";
import { demoServices, serviceReadyLine, serviceScript } from "./services.ts";
import { createCli, environmentHelp, integerOption, usageError } from "./shared/cli.ts";
import { type AppConfig, ConfigError, loadConfig, optionalIntFrom } from "./shared/config.ts";
import { databaseFilePath } from "./shared/db/client.ts";
import { migrateServiceDatabases } from "./shared/db/service-databases.ts";
import { terminalKeysPath } from "./shared/terminal-keys.ts";
import { Supervisor } from "./supervisor.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The broker logs JSON lines; the demo's console shows only its warnings and errors. */
function brokerLineWorthShowing(line: string): boolean {
  if (!line.startsWith("{")) return !line.startsWith("listening on") && !line.startsWith("admin listening on");
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
  restarted like a service.

Console and admin listeners:
  ADMIN_PORT         broker i's admin HTTP listener on ADMIN_PORT+i (default: 9644; 0: free ports)
  CONSOLE_PORT       the console's port (default: 3001; 0: a free one), on HOST like points-api
  CONSOLE_TOKEN      the token its fault controls ask for (default: a random one per start); the
                     fault controls are on only when the console listens on a loopback address
  LEDGER_SESSION_TIMEOUT_MS  how long the console's "freeze" must outlast (default: 10000)`;

/** The console's settings from the environment (it binds HOST, config.httpHost, like points-api). */
function consoleSettings(env: NodeJS.ProcessEnv) {
  return {
    adminPort: optionalIntFrom(env, "ADMIN_PORT", 0) ?? 9644,
    consolePort: optionalIntFrom(env, "CONSOLE_PORT", 0) ?? 3001,
    token: env.CONSOLE_TOKEN || randomBytes(12).toString("hex"),
    sessionTimeoutMs: optionalIntFrom(env, "LEDGER_SESSION_TIMEOUT_MS", 1) ?? 10_000,
    // As long as a ledger stalls on SIGUSR1 (apps/ledger/stall.ts), so the console shows it stalled that long.
    stallMs: stallMsFrom(env, ledgerGroupOptionsFrom(env).maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS),
  };
}

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
  let settings: ReturnType<typeof consoleSettings>;
  try {
    config = loadConfig();
    clusterSize = program.opts<{ brokers?: number }>().brokers ?? optionalIntFrom(process.env, "BROKERS", 1);
    settings = consoleSettings(process.env);
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
  if (settings.adminPort !== 0 && settings.adminPort + (clusterSize ?? 1) - 1 > 65535)
    usageError(program, `ADMIN_PORT ${settings.adminPort} leaves no room for ${clusterSize ?? 1} brokers`);
  mkdirSync(config.dataDir, { recursive: true });
  const migration = migrateServiceDatabases(config.databaseUrl);
  if (migration.applied.length > 0)
    say(`database ${databaseFilePath(config.databaseUrl)}: applied ${migration.applied.join(", ")}`);

  let shuttingDown = false;
  let consoleApp: RunningConsole | undefined;
  const supervisor = new Supervisor(say, (label) => void shutdown(`${label} keeps crashing`, 1));
  const shutdown = async (why: string, code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say(`${why}: stopping services and broker`);
    await consoleApp?.close().catch(() => undefined);
    await supervisor.stopAll();
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

  try {
    let brokers = config.brokers;
    let consoleBrokers: ConsoleBroker[] = [];
    if (clusterSize !== undefined) {
      const cluster = await startBrokerCluster(supervisor, {
        brokers: clusterSize,
        dataDir: path.join(config.dataDir, "cluster"),
        host: "127.0.0.1",
        basePort: config.brokerPort,
        adminBasePort: settings.adminPort,
        configs: { "num.partitions": String(config.partitions), ...replicatedTopicDefaults(clusterSize) },
        show: brokerLineWorthShowing,
      });
      brokers = cluster.bootstrap;
      consoleBrokers = cluster.brokers;
    } else if (!external) {
      // Both ports fixed before the start (0: free ones found now), so the broker restarted after a
      // crash, or a kill from the console, comes back where the services and the console look.
      const [[brokerPort] = [], [adminPort] = []] = await portsFrom(
        "127.0.0.1",
        [config.brokerPort, settings.adminPort],
        1,
      );
      const match = await supervisor.start({
        label: "broker",
        script: "broker/server/main.ts",
        args: [
          "--host",
          "127.0.0.1",
          "--port",
          String(brokerPort),
          "--data-dir",
          path.join(config.dataDir, "broker"),
          "--admin-port",
          String(adminPort),
          "--config",
          `num.partitions=${config.partitions}`,
        ],
        readyLine: /^listening on (\S+)/,
        show: brokerLineWorthShowing,
      });
      brokers = [match[1]!];
      consoleBrokers = [{ nodeId: 0, label: "broker", listener: match[1]!, admin: `http://127.0.0.1:${adminPort}` }];
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
    const [demoTerminal] = await provisionAllTerminalKeys(serviceConfig);

    const serviceSpec = (name: string, label = name) => ({
      label,
      script: serviceScript(name),
      env: serviceEnv,
      readyLine: serviceReadyLine,
      // The summary below prints the API's address once.
      show: (line: string) => !/points-api listening on/.test(line),
    });
    let apiUrl = "";
    for (const name of demoServices) {
      const match = await supervisor.start(serviceSpec(name));
      if (match[1]) apiUrl = match[1];
    }

    consoleApp = await startConsole({
      host: config.httpHost,
      port: settings.consolePort,
      token: settings.token,
      brokers: consoleBrokers,
      bootstrap: brokers,
      pointsApi: apiUrl,
      databaseUrl: config.databaseUrl,
      commandKey: config.commandKey,
      processes: supervisor,
      ledgerSpec: (label) => serviceSpec("ledger", label),
      sessionTimeoutMs: settings.sessionTimeoutMs,
      stallMs: settings.stallMs,
    });

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
    say(
      `  console: ${consoleApp.url}/  (${consoleApp.faultsEnabled ? `fault token: ${settings.token}` : "fault controls off: not on loopback"})`,
    );
    for (const broker of consoleBrokers)
      if (broker.admin !== null) say(`  broker ${broker.nodeId} admin: ${broker.admin}`);
    say(`  demo page: ${apiUrl}/   OpenAPI: ${apiUrl}/api/openapi.json`);
    say(`  consumer groups: ledger, notification, analytics (more instances: npm run svc -- ledger)`);
    say(
      `  terminal keys: ${terminalKeysPath(config.dataDir)} (a command carries its terminal's: Authorization: Bearer <key>)`,
    );
    if (demoTerminal !== undefined) {
      const { id, storeId, key } = demoTerminal;
      say(`  POS terminal ${id}: ${apiUrl}/#terminal-key=${key}`);
      say(
        `  try: curl -s -X POST ${apiUrl}/api/points/charge -H 'content-type: application/json' -H 'authorization: Bearer ${key}' -d '{"userId":"user-0001","amount":500,"storeId":"${storeId}","terminalId":"${id}"}'`,
      );
    }
    say("Ctrl-C stops everything.");
  } catch (error) {
    say(`start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown("startup failed", 1);
  }
}

await main();
