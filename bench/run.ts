// `npm run bench` runs every suite, each on a broker process of its own, and writes bench/results/:
//   broker   broker throughput through kafkajs, 1 and 6 partitions          → broker-kafkajs.json
//   clients  our client vs kafkajs: produce (1/16 partitions, sends of 1 and
//            of 1,000 messages) and consume (1/16 partitions), ours/kafkajs  → clients.json
//   latency  end-to-end p50/p95/p99 at 10,000 msg/s, 6 partitions, per client → latency.json
//   points   the points pipeline, issued → applied by the ledger, through HTTP and
//            produced directly, 6/24 partitions, 1/3 ledger instances      → points.json
// Options (after `--`, e.g. `npm run bench -- --only clients --quick`):
//   --only broker|clients|latency|points   run one suite (repeat or comma-separate for several)
//   --quick                         smaller counts and shorter runs, for a smoke test
//   broker suite only: --records N (200000) --partitions 1,6 --record-bytes N (100)
//                      --send-size N (1000) --in-flight N (8)
// Progress goes to stdout as "[suite] step ... result"; each suite ends with a table.
import { type BrokerSuiteOptions, runBrokerSuite } from "./broker-suite.ts";
import { clientSuiteDefaults, runClientSuite } from "./client-suite.ts";
import { latencyDefaults, runLatencySuite } from "./latency.ts";
import { secondsSince } from "./lib.ts";
import { runPointsSuite } from "./points.ts";

const SUITES = ["broker", "clients", "latency", "points"] as const;
type Suite = (typeof SUITES)[number];

interface Options {
  suites: Set<Suite>;
  quick: boolean;
  broker: BrokerSuiteOptions;
}

function parseOptions(argv: string[]): Options {
  const only: Suite[] = [];
  let quick = false;
  const broker: BrokerSuiteOptions = {
    quick: false,
    records: 200_000,
    partitionCounts: [1, 6],
    recordBytes: 100,
    sendSize: 1000,
    inFlight: 8,
  };
  let brokerRecordsSet = false;
  const positive = (flag: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--quick") {
      quick = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case "--only":
        for (const name of value.split(",")) {
          if (!(SUITES as readonly string[]).includes(name))
            throw new Error(`--only takes ${SUITES.join("|")}, not ${name}`);
          only.push(name as Suite);
        }
        break;
      case "--records":
        broker.records = positive(flag, value);
        brokerRecordsSet = true;
        break;
      case "--partitions":
        broker.partitionCounts = value.split(",").map((n) => positive(flag, n));
        break;
      case "--record-bytes":
        broker.recordBytes = positive(flag, value);
        break;
      case "--send-size":
        broker.sendSize = positive(flag, value);
        break;
      case "--in-flight":
        broker.inFlight = positive(flag, value);
        break;
      default:
        throw new Error(
          `unknown option ${flag} (--only, --quick, --records, --partitions, --record-bytes, --send-size, --in-flight)`,
        );
    }
  }
  broker.quick = quick;
  if (quick && !brokerRecordsSet) broker.records = 50_000;
  return { suites: new Set(only.length > 0 ? only : SUITES), quick, broker };
}

const options = parseOptions(process.argv.slice(2));
const start = performance.now();
if (options.suites.has("broker")) await runBrokerSuite(options.broker);
if (options.suites.has("clients")) await runClientSuite(clientSuiteDefaults(options.quick));
if (options.suites.has("latency")) await runLatencySuite(latencyDefaults(options.quick));
if (options.suites.has("points")) await runPointsSuite({ quick: options.quick });
console.log(
  `done in ${secondsSince(start).toFixed(0)} s${options.quick ? " (--quick: smaller counts, not for comparison)" : ""}`,
);
