// `npm run lab [-- --quick] [--out DIR] [--users N] [--commands M] [--seed S] [--direct]
//  [--rate R] [--concurrency C] [--modes keyed,unkeyed,...]`
import path from "node:path";
import { parseArgs } from "node:util";
import { type Cli, cli } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { type LabMode, labModes, runLab } from "./lab.ts";

const usage: Cli = cli("lab");
const fail: Cli["fail"] = usage.fail;
const count: Cli["integer"] = usage.integer;

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      users: { type: "string" },
      commands: { type: "string" },
      seed: { type: "string" },
      direct: { type: "boolean", default: false },
      rate: { type: "string" },
      concurrency: { type: "string" },
      modes: { type: "string" },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}

const modes = (values.modes ?? labModes.join(",")).split(",").map((m) => m.trim()) as LabMode[];
for (const mode of modes)
  if (!labModes.includes(mode)) fail(`unknown mode "${mode}"; modes are ${labModes.join(", ")}`);
const outDir = path.resolve(values.out ?? path.join(loadConfig().dataDir, "lab"));
const options = {
  users: count("users", values.users, values.quick ? 100 : 1_000),
  commands: count("commands", values.commands, values.quick ? 3_000 : 30_000),
  seed: count("seed", values.seed, 42, 0),
  driver: values.direct ? ("direct" as const) : ("http" as const),
  rate: values.rate === undefined ? undefined : count("rate", values.rate, 0),
  concurrency: count("concurrency", values.concurrency, values.direct ? 8 : 32),
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
