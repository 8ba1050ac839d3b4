// `npm run svc -- <name> [--instances N]`: one service on its own (or N members of its group), for
// watching partition assignment and rebalancing while `npm start` (or just a broker) runs.
import { parseArgs } from "node:util";
import { availableServices, serviceReadyLine, serviceScript } from "./services.ts";
import { type Cli, cli } from "./shared/cli.ts";
import { Supervisor } from "./supervisor.ts";

const usage: Cli = cli("svc");
const fail: Cli["fail"] = usage.fail;

let parsed;
try {
  parsed = parseArgs({
    options: { instances: { type: "string", short: "n", default: "1" } },
    allowPositionals: true,
    strict: true,
  });
} catch (error) {
  fail((error as Error).message);
}
const [name, ...extra] = parsed.positionals;
const services = availableServices();
if (!name) fail(`which service? one of: ${services.join(", ")}`);
if (extra.length > 0) fail(`unexpected arguments: ${extra.join(" ")}`);
if (!services.includes(name)) fail(`unknown service "${name}"; one of: ${services.join(", ")}`);
const instances = usage.integer("instances", parsed.values.instances, 1);

const supervisor = new Supervisor();
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
  for (let i = 1; i <= instances; i++) {
    // Several API instances cannot share one port: the extra ones take a free port.
    const env: Record<string, string> = name === "points-api" && i > 1 ? { PORT: "0" } : {};
    await supervisor.start({
      label: instances > 1 ? `${name}#${i}` : name,
      script: serviceScript(name),
      env,
      readyLine: serviceReadyLine,
    });
  }
} catch (error) {
  console.error(`svc: ${(error as Error).message}`);
  await stop(1);
}
