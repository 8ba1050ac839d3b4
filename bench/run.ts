// `npm run bench` runs every suite, each on a broker process of its own, and writes bench/results/:
//   broker   broker throughput through kafkajs, 1 and 6 partitions          → broker-kafkajs.json
//   clients  our client vs kafkajs and @platformatic/kafka: produce (1/16 partitions,
//            sends of 1 and of 1,000 messages; 1 KiB records too) and consume, with
//            MB/s against the loopback limit and CPU per record              → clients.json
//   latency  end-to-end p50/p95/p99 at 10,000 msg/s, 6 partitions, per client → latency.json
//   ledger   one ledger applying 200,000 commands already in points.commands (6
//            partitions), ready → offsets committed, verified: commands/s, with and
//            without LEDGER_TRANSACTIONS                                   → ledger.json
//   transactions  transactional vs idempotent produce, ours and kafkajs, 100 B
//            records, sends of 1,000, 1 and 10 sends per transaction  → transactions.json
//   points   the points pipeline, issued → applied by the ledger, through HTTP and
//            produced directly, 6/24 partitions, 1/3 ledger instances      → points.json
//   cost     CPU µs per command of each process of the points pipeline over HTTP at
//            1,000, 3,000 and 5,000 commands/s and unpaced, with accepted → committed
//            p50/p99 (--rate: one rate only; --cpu-prof-dir: V8 profiles)  → cost.json
//   cluster  a 3-broker cluster: acks=all RF 3 ÷ acks=1 RF 1 throughput, leader and
//            controller failover times over 10 kills each, the fault test for
//            5 minutes with its anomaly counts                            → cluster.json
//   crashloop  50 kill -9 of the ledger under load, then the replay check   → crashloop.json
//   memory   one broker, 1,000 partitions filled to 2 GB retained in steps (300 MB
//            with --quick): its RSS vs retained bytes, charted, and restart times
//            after a clean stop, a kill -9 and with producer snapshots deleted → memory.json
//   soak     the points pipeline for 30 minutes at a steady rate: memory, open
//            descriptors and group lag must stay flat (only with --only)     → soak.json
//   fuzz     1,000,000 wire fuzz frames at a broker while healthy kafkajs and kcat
//            rounds must pass: frames/s, outcomes, violations, RSS (only with
//            --only: about 20 minutes)                                      → fuzz.json
// Options after `--` (e.g. `npm run bench -- --only clients --quick`); `npm run bench -- --help`
// lists them (--only, --quick, --kills, --minutes, --rate, --frames, --seed, and the broker suite's
// --records, --partitions, --record-bytes, --send-size, --in-flight). Progress goes to stdout as
// "[suite] step ... result"; each suite ends with a table.
import { Option } from "commander";
import { createCli, integerOption, usageError } from "../apps/shared/cli.ts";
import { type BrokerSuiteOptions, runBrokerSuite } from "./broker-suite.ts";
import { clientSuiteDefaults, runClientSuite } from "./client-suite.ts";
import { clusterSuiteDefaults, runClusterSuite } from "./cluster-suite.ts";
import { crashLoopDefaults, runCrashLoopSuite } from "./crashloop.ts";
import { fuzzDefaults, runFuzzSuite } from "./fuzz.ts";
import { latencyDefaults, runLatencySuite } from "./latency.ts";
import { ledgerSuiteDefaults, runLedgerSuite } from "./ledger.ts";
import { secondsSince } from "./lib.ts";
import { memoryDefaults, runMemorySuite } from "./memory.ts";
import { costDefaults, runCostSuite } from "./pipeline-cost.ts";
import { runPointsSuite } from "./points.ts";
import { runSoakSuite, soakDefaults } from "./soak.ts";
import { runTransactionsSuite, transactionsDefaults } from "./transactions.ts";

const SUITES = [
  "broker",
  "clients",
  "latency",
  "ledger",
  "transactions",
  "points",
  "cost",
  "cluster",
  "crashloop",
  "memory",
  "soak",
  "fuzz",
] as const;
type Suite = (typeof SUITES)[number];
/** Half an hour (soak), twenty minutes (fuzz) of wall time: run only when asked for by name. */
const ON_REQUEST: readonly Suite[] = ["soak", "fuzz"];

interface Options {
  suites: Set<Suite>;
  quick: boolean;
  broker: BrokerSuiteOptions;
  kills?: number;
  minutes?: number;
  rate?: number;
  frames?: number;
  seed?: number;
  cpuProfDir?: string;
}

function parseOptions(): Options {
  const program = createCli(
    "bench",
    "Runs the benchmark suites, each on a broker process of its own; writes bench/results/.",
  );
  const positive = (flag: string) => integerOption(program, flag);
  const suites = (value: string, previous: Suite[] = []): Suite[] => {
    const names = value.split(",");
    for (const name of names)
      if (!(SUITES as readonly string[]).includes(name))
        usageError(program, `--only takes ${SUITES.join("|")}, not ${name}`);
    return [...previous, ...(names as Suite[])];
  };
  program
    .option(
      "--only <suites>",
      `run only these suites: ${SUITES.join("|")} (repeat or comma-separate; default: all)`,
      suites,
    )
    .option("--quick", "smaller counts and shorter runs, for a smoke test", false)
    .option("--records <n>", "broker suite: records per run (default: 200000, 50000 with --quick)", positive("records"))
    .addOption(
      new Option("--partitions <list>", "broker suite: partition counts to run, comma-separated")
        .argParser((value) => value.split(",").map(positive("partitions")))
        .default([1, 6], "1,6"),
    )
    .option("--record-bytes <n>", "broker suite: value bytes per record", positive("record-bytes"), 100)
    .option("--send-size <n>", "broker suite: records per send", positive("send-size"), 1000)
    .option("--in-flight <n>", "broker suite: sends in flight at once", positive("in-flight"), 8)
    .option("--kills <n>", "crashloop: kill -9 of the ledger (default: 50, 10 with --quick)", positive("kills"))
    .option("--minutes <n>", "soak: minutes of steady load (default: 30, 2 with --quick)", positive("minutes"))
    .option(
      "--rate <n>",
      "crashloop and soak: commands/s through points-api (default: 150); cost: the one rate to run",
      positive("rate"),
    )
    .option("--frames <n>", "fuzz: frames to send (default: 1000000, 50000 with --quick)", positive("frames"))
    .option(
      "--seed <n>",
      "fuzz: the seed of the frames (default: FUZZ_SEED, else 15)",
      integerOption(program, "seed", 0),
    )
    .option("--cpu-prof-dir <dir>", "cost: every process of the pipeline writes a V8 CPU profile here")
    .parse();
  const values = program.opts<{
    only?: Suite[];
    quick: boolean;
    records?: number;
    partitions: number[];
    recordBytes: number;
    sendSize: number;
    inFlight: number;
    kills?: number;
    minutes?: number;
    rate?: number;
    frames?: number;
    seed?: number;
    cpuProfDir?: string;
  }>();
  const broker: BrokerSuiteOptions = {
    quick: values.quick,
    records: values.records ?? (values.quick ? 50_000 : 200_000),
    partitionCounts: values.partitions,
    recordBytes: values.recordBytes,
    sendSize: values.sendSize,
    inFlight: values.inFlight,
  };
  return {
    suites: new Set(values.only ?? SUITES.filter((s) => !ON_REQUEST.includes(s))),
    quick: values.quick,
    broker,
    kills: values.kills,
    minutes: values.minutes,
    rate: values.rate,
    frames: values.frames,
    seed: values.seed,
    cpuProfDir: values.cpuProfDir,
  };
}

const options = parseOptions();
const start = performance.now();
if (options.suites.has("broker")) await runBrokerSuite(options.broker);
if (options.suites.has("clients")) await runClientSuite(clientSuiteDefaults(options.quick));
if (options.suites.has("latency")) await runLatencySuite(latencyDefaults(options.quick));
if (options.suites.has("ledger")) await runLedgerSuite(ledgerSuiteDefaults(options.quick));
if (options.suites.has("transactions")) await runTransactionsSuite(transactionsDefaults(options.quick));
if (options.suites.has("points")) await runPointsSuite({ quick: options.quick });
if (options.suites.has("cost")) await runCostSuite(costDefaults(options.quick, options.rate, options.cpuProfDir));
if (options.suites.has("cluster")) await runClusterSuite(clusterSuiteDefaults(options.quick));
if (options.suites.has("crashloop"))
  await runCrashLoopSuite(crashLoopDefaults(options.quick, options.kills, options.rate));
if (options.suites.has("memory")) await runMemorySuite(memoryDefaults(options.quick));
if (options.suites.has("soak")) await runSoakSuite(soakDefaults(options.quick, options.minutes, options.rate));
if (options.suites.has("fuzz")) await runFuzzSuite(fuzzDefaults(options.quick, options.frames, options.seed));
console.log(
  `done in ${secondsSince(start).toFixed(0)} s${options.quick ? " (--quick: smaller counts, not for comparison)" : ""}`,
);
