// `npm run load -- [--users N] [--commands M] [--rate R] [--concurrency C] [--mode keyed|unkeyed]
//   [--seed S] [--out FILE] [--direct] [--url http://127.0.0.1:3000]` (`--help` describes them)
// Drives a running system (`npm start`) with a seeded workload, then verifies what the ledger
// applied against a sequential replay. Over HTTP, each command carries its terminal's key (the
// demo's, DATA_DIR/terminal-keys.json). --out keeps the issued commands for `npm run verify`.
import { writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createCli, environmentHelp, integerOption, usageError } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { bearer, readTerminalKeys, terminalKeysPath } from "../../apps/shared/terminal-keys.ts";
import { type LoadRun, printVerification, verifyAgainstLedger } from "../lab/verify-run.ts";
import { driveDirect, driveHttp } from "./drivers.ts";
import { createProgress } from "./progress.ts";
import { generateWorkload } from "./workload.ts";

const program = createCli(
  "load",
  "Drives a running system (npm start) with a seeded workload, then verifies what the ledger applied against a sequential replay.",
);
program
  .option("--users <n>", "users the workload spreads over", integerOption(program, "users"), 100)
  .option("--commands <n>", "commands to issue", integerOption(program, "commands"), 5_000)
  .option("--rate <n>", "commands per second at most (default: as fast as accepted)", integerOption(program, "rate"))
  .option(
    "--concurrency <n>",
    "commands in flight at once (default: 32, or 8 with --direct)",
    integerOption(program, "concurrency"),
  )
  .option("--mode <mode>", "keyed (key = userId) or unkeyed (no key; needs --direct)", "keyed")
  .option("--seed <n>", "the workload's seed (default: from the clock)", integerOption(program, "seed", 0))
  .option("--out <file>", "write the issued commands there, for npm run verify")
  .option("--direct", "issue through the producer instead of points-api's HTTP API", false)
  .option("--url <url>", "points-api's base URL (default: http://127.0.0.1:$PORT)")
  .addHelpText("after", environmentHelp)
  .parse();
const values = program.opts<{
  users: number;
  commands: number;
  rate?: number;
  concurrency?: number;
  mode: string;
  seed?: number;
  out?: string;
  direct: boolean;
  url?: string;
}>();

const mode = values.mode;
if (mode !== "keyed" && mode !== "unkeyed")
  usageError(program, `--mode must be keyed or unkeyed (got "${mode}"); the lab (npm run lab) runs every mode`);
if (mode === "unkeyed" && !values.direct)
  usageError(
    program,
    "--mode unkeyed drives the producer: add --direct (over HTTP, points-api decides the key: POINTS_COMMAND_KEY=none)",
  );
const config = loadConfig();
const { users, commands, rate } = values;
const concurrency = values.concurrency ?? (values.direct ? 8 : 32);
const seed = values.seed ?? Date.now() % 1_000_000;
const baseUrl = values.url ?? `http://127.0.0.1:${config.httpPort}`;

// What the terminals send with their commands, and the generator with the users it creates.
const terminalKeys = readTerminalKeys(config.dataDir);
const [anyKey] = Object.values(terminalKeys);

function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload ? { "content-type": "application/json" } : {};
    if (payload && anyKey !== undefined) headers.authorization = bearer(anyKey);
    const req = request(new URL(path, baseUrl), { method, agent, headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

try {
  if (anyKey === undefined)
    throw new Error(`no terminal keys in ${terminalKeysPath(config.dataDir)}: npm start (or npm run seed) makes them`);
  const workload = generateWorkload({ users, commands, seed });
  console.log(
    `load: ${users} users, ${commands} commands, seed ${seed}, ${mode}, via ${values.direct ? `the producer (${config.brokers.join(",")})` : baseUrl}`,
  );
  // The users must exist (the API checks); their balances now are where the replay starts.
  const openingBalances: Record<string, number> = {};
  for (const userId of workload.users) {
    const created = await call("POST", "/api/users", { id: userId, name: userId });
    if (created.status !== 201 && created.status !== 409)
      throw new Error(`creating ${userId}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
    const balance = await call("GET", `/api/users/${userId}/balance`);
    openingBalances[userId] = (balance.json as { balance: number }).balance;
  }
  agent.destroy();

  const progress = createProgress({ label: "issue", total: commands });
  const options = { rate, concurrency, onProgress: (n: number) => progress.tick(n) };
  const started = Date.now();
  const issued = values.direct
    ? await driveDirect(config.brokers, workload.commands, { ...options, keyed: mode === "keyed" })
    : await driveHttp(baseUrl, workload.commands, { ...options, terminalKeys });
  progress.finish();
  console.log(`issued ${issued.length} commands in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const run: LoadRun = { seed, users, commands: workload.commands, issued, openingBalances };
  if (values.out) {
    writeFileSync(values.out, JSON.stringify(run));
    console.log(`issued commands written to ${values.out} (npm run verify -- ${values.out})`);
  }
  printVerification(await verifyAgainstLedger(config.databaseUrl, run));
  process.exit(0);
} catch (error) {
  console.error(`load: ${(error as Error).message}`);
  process.exit(1);
}
