// `npm run verify -- FILE`: verifies a run written by `npm run load -- --out FILE` against the
// ledger in DATA_DIR (or DATABASE_URL); prints the table and writes the result as JSON to stdout
// with --json (`--help` describes the options).
import { readFileSync } from "node:fs";
import { createCli, environmentHelp, usageError } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { type LoadRun, printVerification, verifyAgainstLedger } from "./verify-run.ts";

const program = createCli(
  "verify",
  "Verifies a run written by `npm run load -- --out FILE` against the ledger in DATA_DIR (or DATABASE_URL).",
);
program
  .argument("[file]", "the run, as written by npm run load -- --out FILE")
  .option("--json", "write the result as JSON on stdout instead of the table", false)
  .addHelpText("after", environmentHelp)
  .parse();
const [file] = program.args;
const { json } = program.opts<{ json: boolean }>();
if (!file) usageError(program, "which run? npm run verify -- FILE (written by npm run load -- --out FILE)");
let run: LoadRun;
try {
  run = JSON.parse(readFileSync(file, "utf8")) as LoadRun;
} catch (error) {
  console.error(`verify: cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}
const result = await verifyAgainstLedger(loadConfig().databaseUrl, run, { quietMs: 2_000 });
if (json) console.log(JSON.stringify(result, null, 2));
else printVerification(result);
