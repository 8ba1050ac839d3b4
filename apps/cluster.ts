// `npm run cluster -- --brokers 3 [--data-dir ./data/cluster] [--base-port 9092] [--host 127.0.0.1]
// [--no-restart] [--admin-port 9644] [--broker-logs] [--config key=value ...]`: a Kafka cluster of N
// broker processes on this machine. Prints `broker <id> listening on <host>:<port> pid <pid>` for each
// broker once it serves (again after a restart), then `cluster ready: <bootstrap list>` and, with
// --admin-port, `broker <id> admin: http://host:port` per broker; with --broker-logs, every line a
// broker logs too, as `[broker-<id>] <line>`. Ctrl-C / SIGTERM stops every broker.
import path from "node:path";
import { startBrokerCluster } from "./broker-cluster.ts";
import { createCli, integerOption, usageError } from "./shared/cli.ts";
import { Supervisor } from "./supervisor.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

const program = createCli(
  "cluster",
  "Starts a Kafka cluster of N broker processes (the first three also the KRaft controller quorum) and restarts a broker that dies.",
);
program
  .option("--brokers <n>", "how many brokers", integerOption(program, "brokers"), 3)
  .option("--data-dir <dir>", "each broker keeps its logs in <dir>/broker-<id>", "./data/cluster")
  .option(
    "--base-port <port>",
    "broker 0's port, the others the next ones; 0 picks free ports",
    integerOption(program, "base-port", 0),
    9092,
  )
  .option(
    "--host <host>",
    "the address every broker's Kafka listener binds (any but loopback is logged as reachable from other machines; the admin listeners stay on loopback)",
    "127.0.0.1",
  )
  .option("--no-restart", "leave a broker that dies down")
  .option(
    "--admin-port <port>",
    "give each broker an admin HTTP listener (state, events, /metrics): broker i on port+i; 0 picks free ports",
    integerOption(program, "admin-port", 0),
  )
  .option("--broker-logs", "print every broker's log lines, each as [broker-<id>] <line>")
  .option(
    "--config <key=value>",
    "a broker property for every broker (repeatable), as `npm run broker -- --config`",
    (pair: string, previous: string[]) => [...previous, pair],
    [] as string[],
  )
  .parse();
const options = program.opts<{
  brokers: number;
  dataDir: string;
  basePort: number;
  host: string;
  restart: boolean;
  adminPort?: number;
  brokerLogs?: boolean;
  config: string[];
}>();
if (options.basePort !== 0 && options.basePort + options.brokers - 1 > 65535)
  usageError(program, `--base-port ${options.basePort} leaves no room for ${options.brokers} brokers`);
const configs: Record<string, string> = {};
for (const pair of options.config) {
  const eq = pair.indexOf("=");
  if (eq <= 0) usageError(program, `--config takes key=value (got "${pair}")`);
  configs[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
}

const supervisor = new Supervisor(say);
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await supervisor.stopAll();
  process.exit(code);
};
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  const cluster = await startBrokerCluster(supervisor, {
    brokers: options.brokers,
    dataDir: path.resolve(options.dataDir),
    host: options.host,
    basePort: options.basePort,
    configs,
    restart: options.restart,
    adminBasePort: options.adminPort,
    show: options.brokerLogs ? () => true : undefined,
  });
  say(`cluster ready: ${cluster.bootstrap.join(",")}`);
  for (const broker of cluster.brokers)
    if (broker.admin !== null) say(`broker ${broker.nodeId} admin: ${broker.admin}`);
} catch (error) {
  say(`cluster: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
