// `npm run svc -- <name> [--instances N]`: one service on its own (or N members of its group), for
// watching partition assignment and rebalancing while `npm start` (or just a broker) runs.
import { availableServices, serviceReadyLine, serviceScript } from "./services.ts";
import { createCli, environmentHelp, integerOption, usageError } from "./shared/cli.ts";
import { Supervisor } from "./supervisor.ts";

const services = availableServices();
const program = createCli(
  "svc",
  "Runs one service on its own (or N members of its group), next to `npm start` or a running broker.",
);
program
  .argument("[service]", `the service to run: ${services.join(", ")}`)
  .option(
    "-n, --instances <n>",
    "members of its group to run, each its own process",
    integerOption(program, "instances"),
    1,
  )
  .allowExcessArguments()
  .addHelpText("after", environmentHelp)
  .parse();
const [name, ...extra] = program.args;
const instances = program.opts<{ instances: number }>().instances;
if (!name) usageError(program, `which service? one of: ${services.join(", ")}`);
if (extra.length > 0) usageError(program, `unexpected arguments: ${extra.join(" ")}`);
if (!services.includes(name)) usageError(program, `unknown service "${name}"; one of: ${services.join(", ")}`);

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
