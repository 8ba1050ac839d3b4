// `npm run verify -- FILE`: verifies a run written by `npm run load -- --out FILE` against the
// ledger in DATA_DIR (or DATABASE_URL); prints the table and writes the result as JSON to stdout
// with --json.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../../apps/shared/config.ts";
import { type LoadRun, printVerification, verifyAgainstLedger } from "./verify-run.ts";

let parsed;
try {
  parsed = parseArgs({ options: { json: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
} catch (error) {
  console.error(`verify: ${(error as Error).message}`);
  process.exit(2);
}
const [file] = parsed.positionals;
if (!file) {
  console.error("verify: which run? npm run verify -- FILE (written by npm run load -- --out FILE)");
  process.exit(2);
}
let run: LoadRun;
try {
  run = JSON.parse(readFileSync(file, "utf8")) as LoadRun;
} catch (error) {
  console.error(`verify: cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}
const result = await verifyAgainstLedger(loadConfig().databaseUrl, run, { quietMs: 2_000 });
if (parsed.values.json) console.log(JSON.stringify(result, null, 2));
else printVerification(result);
