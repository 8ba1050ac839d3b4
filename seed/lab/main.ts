// `npm run lab [-- --quick] [--out DIR] [--users N] [--commands M] [--seed S] [--direct]
//  [--rate R] [--concurrency C] [--modes keyed,unkeyed,...]` (`--help` describes them): the ordering lab;
// `npm run lab -- --rebalance [--quick] [--out DIR] [--users N] [--commands M] [--seed S]
//  [--variants eager,cooperative,...]`: the rebalance lab (rebalance/rebalance-lab.ts);
// `npm run lab -- --scaling [--quick] [--io-ms N] [--out DIR] [--seed S] [--keep-work]`: the scaling lab
//  (scaling/scaling-lab.ts).
import path from "node:path";
import { createCli, environmentHelp, integerOption, usageError } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { type LabMode, labModes, runLab } from "./lab.ts";
import {
  type RebalanceVariant,
  rebalanceLabDefaults,
  rebalanceVariants,
  runRebalanceLab,
} from "./rebalance/rebalance-lab.ts";
import { runScalingLab, scalingLabDefaults } from "./scaling/scaling-lab.ts";

const program = createCli(
  "lab",
  "The ordering lab: the same seeded workload on a fresh system per mode, verified against a sequential replay; writes report.json and report.html. With --rebalance, the rebalance lab: the same churn of a ledger group under each group protocol variant. With --scaling, the scaling lab: throughput of a ledger-like group as members (1…8) and partitions (1, 3, 6, 12) grow.",
);
program
  .option(
    "--quick",
    "smaller defaults (100 users, 3,000 commands): under half a minute; with --rebalance, 60 users, 2,000 commands, about 2 minutes; with --scaling, 6 runs (1, 3, 6, 8 members on 6 partitions, 6 on 3, 8 on 12), about half a minute",
    false,
  )
  .option(
    "--out <dir>",
    "where the reports go (default: DATA_DIR/lab, or DATA_DIR/lab/rebalance, DATA_DIR/lab/scaling)",
  )
  .option(
    "--rebalance",
    "the rebalance lab: 4 ledger members consume while one joins, one leaves, one crashes and one restarts, per group protocol variant (--quick: about 2 minutes)",
    false,
  )
  .option(
    "--scaling",
    "the scaling lab: records/s of a group of 1…8 members on 1, 3, 6 and 12 partitions, each command an I/O wait, with who owns what and the per-user order check (about 3 minutes; --quick: about half a minute)",
    false,
  )
  .option(
    "--io-ms <n>",
    "with --scaling, the handler's wait per command in ms, as a call to another system (default: 5, 10 with --quick)",
    integerOption(program, "io-ms"),
  )
  .option("--variants <list>", `with --rebalance, comma-separated, of ${rebalanceVariants.join(", ")} (default: all)`)
  .option(
    "--keep-work",
    "with --rebalance, keep each variant's work directory (broker data, event logs) in --out; with --scaling, the broker's",
    false,
  )
  .option(
    "--users <n>",
    "users the workload spreads over (default: 1000, 100 with --quick; rebalance lab: 300, 60)",
    integerOption(program, "users"),
  )
  .option(
    "--commands <n>",
    "commands per mode (default: 30000, 3000 with --quick; rebalance lab: 12000, 2000)",
    integerOption(program, "commands"),
  )
  .option("--seed <n>", "the workload's seed", integerOption(program, "seed", 0), 42)
  .option("--direct", "issue through the producer instead of points-api's HTTP API", false)
  .option("--rate <n>", "commands per second at most (default: as fast as accepted)", integerOption(program, "rate"))
  .option(
    "--concurrency <n>",
    "commands in flight at once (default: 32, or 8 with --direct)",
    integerOption(program, "concurrency"),
  )
  .option("--modes <list>", `comma-separated, of ${labModes.join(", ")} (default: all)`)
  .addHelpText("after", environmentHelp)
  .parse();
const values = program.opts<{
  quick: boolean;
  out?: string;
  users?: number;
  commands?: number;
  seed: number;
  direct: boolean;
  rate?: number;
  concurrency?: number;
  modes?: string;
  rebalance: boolean;
  scaling: boolean;
  ioMs?: number;
  variants?: string;
  keepWork: boolean;
}>();

if (values.rebalance) {
  const variants = (values.variants ?? rebalanceVariants.join(","))
    .split(",")
    .map((v) => v.trim()) as RebalanceVariant[];
  for (const variant of variants)
    if (!rebalanceVariants.includes(variant))
      usageError(program, `unknown variant "${variant}"; variants are ${rebalanceVariants.join(", ")}`);
  const defaults = rebalanceLabDefaults(values.quick);
  const outDir = path.resolve(values.out ?? path.join(loadConfig().dataDir, "lab", "rebalance"));
  const options = {
    ...defaults,
    users: values.users ?? defaults.users,
    commands: values.commands ?? defaults.commands,
    seed: values.seed,
    variants,
    outDir,
    keepWork: values.keepWork,
    log: (line: string) => console.log(line),
  };
  console.log(
    `rebalance lab: ${options.members} ledger members, ${options.partitions} partitions, ${options.users} users, ${options.commands} commands, seed ${options.seed}; variants ${variants.join(", ")}`,
  );
  await runAndReport(outDir, () => runRebalanceLab(options));
}

if (values.scaling) {
  const defaults = scalingLabDefaults(values.quick);
  const outDir = path.resolve(values.out ?? path.join(loadConfig().dataDir, "lab", "scaling"));
  const options = {
    ...defaults,
    ioMs: values.ioMs ?? defaults.ioMs,
    seed: values.seed,
    outDir,
    keepWork: values.keepWork,
    log: (line: string) => console.log(line),
  };
  console.log(
    `scaling lab: ${options.cells.length} runs, each command a ${options.ioMs} ms wait, measured ${options.windowMs / 1000} s once the group is stable, seed ${options.seed}`,
  );
  await runAndReport(outDir, () => runScalingLab(options));
}

const modes = (values.modes ?? labModes.join(",")).split(",").map((m) => m.trim()) as LabMode[];
for (const mode of modes)
  if (!labModes.includes(mode)) usageError(program, `unknown mode "${mode}"; modes are ${labModes.join(", ")}`);
const outDir = path.resolve(values.out ?? path.join(loadConfig().dataDir, "lab"));
const options = {
  users: values.users ?? (values.quick ? 100 : 1_000),
  commands: values.commands ?? (values.quick ? 3_000 : 30_000),
  seed: values.seed,
  driver: values.direct ? ("direct" as const) : ("http" as const),
  rate: values.rate,
  concurrency: values.concurrency ?? (values.direct ? 8 : 32),
  modes,
  outDir,
  log: (line: string) => console.log(line),
};

console.log(
  `ordering lab: ${options.users} users, ${options.commands} commands, seed ${options.seed}, via ${options.driver === "http" ? "HTTP" : "the producer"}; modes ${modes.join(", ")}`,
);
await runAndReport(outDir, () => runLab(options));

/** Runs a lab, says where its reports went and how long it took, and exits: 0, or 1 with the one-line reason. */
async function runAndReport(outDir: string, run: () => Promise<unknown>): Promise<never> {
  try {
    const started = Date.now();
    await run();
    console.log(
      `report: ${path.join(outDir, "report.json")} and ${path.join(outDir, "report.html")} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    process.exit(0);
  } catch (error) {
    console.error(`lab: ${(error as Error).message}`);
    process.exit(1);
  }
}
