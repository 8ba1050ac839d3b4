// `npm run lab [-- --quick] [--out DIR] [--users N] [--commands M] [--seed S] [--direct]
//  [--rate R] [--concurrency C] [--modes keyed,unkeyed,...]` (`--help` describes them)
import path from "node:path";
import { createCli, environmentHelp, integerOption, usageError } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { type LabMode, labModes, runLab } from "./lab.ts";

const program = createCli(
  "lab",
  "The ordering lab: the same seeded workload on a fresh system per mode, verified against a sequential replay; writes report.json and report.html.",
);
program
  .option("--quick", "smaller defaults (100 users, 3,000 commands): under half a minute", false)
  .option("--out <dir>", "where the reports go (default: DATA_DIR/lab)")
  .option(
    "--users <n>",
    "users the workload spreads over (default: 1000, 100 with --quick)",
    integerOption(program, "users"),
  )
  .option("--commands <n>", "commands per mode (default: 30000, 3000 with --quick)", integerOption(program, "commands"))
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
}>();

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
try {
  const started = Date.now();
  await runLab(options);
  console.log(
    `report: ${path.join(outDir, "report.json")} and ${path.join(outDir, "report.html")} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  process.exit(0);
} catch (error) {
  console.error(`lab: ${(error as Error).message}`);
  process.exit(1);
}
