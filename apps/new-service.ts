// `npm run new:service -- <name> [--root <dir>]`: a new consumer service from
// apps/templates/consumer-service/ — a consumer group <name> on points.events whose per-event
// logic is the user's, its main.ts for `npm run svc`, and a process test that proves it receives
// events. --root writes into another checkout (the tests generate into a temporary one). Bad usage
// (no name, a name that can never be a service's) exits 2; a name already taken exits 1.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCli, usageError } from "./shared/cli.ts";

const templatesDir = fileURLToPath(new URL("./templates/consumer-service/", import.meta.url));
const defaultRoot = fileURLToPath(new URL("..", import.meta.url));
const nameToken = /__SERVICE_NAME__/g;
/** Folders under apps/ that are not services. */
const reservedNames = ["shared", "templates"];
const usage = "usage: npm run new:service -- <name> [--root <dir>]";

/** Template file → where its copy goes, relative to the root. */
const filesFor = (name: string) => [
  { template: "service.ts.tmpl", target: path.join("apps", name, "service.ts") },
  { template: "main.ts.tmpl", target: path.join("apps", name, "main.ts") },
  { template: "service.test.ts.tmpl", target: path.join("test", "apps", name, "service.test.ts") },
];

/** A refusal that is not bad usage (the name is taken, the root is no checkout): exit code 1. */
function fail(message: string): never {
  process.stderr.write(`new:service: ${message}\n`);
  process.exit(1);
}

const program = createCli(
  "new:service",
  "Creates a consumer service from apps/templates/consumer-service/: a consumer group <name> on points.events, its main.ts for `npm run svc`, and a process test that proves it receives events.",
);

function parseCommandLine(): { name: string; root: string } {
  program
    .argument("[name]", 'the service and its consumer group, lowercase kebab-case (e.g. "loyalty-mailer")')
    .option("--root <dir>", "the checkout to write into (default: this repository)")
    .allowExcessArguments()
    .parse();
  const [name, ...extra] = program.args;
  if (name === undefined) usageError(program, `which name? ${usage}`);
  if (extra.length > 0) usageError(program, `unexpected arguments: ${extra.join(" ")} (${usage})`);
  return { name, root: path.resolve(program.opts<{ root?: string }>().root ?? defaultRoot) };
}

/** Why `name` can never be a service's name (bad usage), or undefined when it can. */
function nameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
    return `"${name}" is not a service name: use lowercase kebab-case, e.g. "loyalty-mailer"`;
  if (reservedNames.includes(name)) return `"${name}" is reserved (apps/${name} is not a service)`;
  return undefined;
}

/** Why `name` cannot be a new service under `root` (it is taken there), or undefined when it can. */
function takenProblem(name: string, root: string): string | undefined {
  if (existsSync(path.join(root, "apps", name))) return `apps/${name} already exists`;
  const test = filesFor(name).find((file) => existsSync(path.join(root, file.target)));
  if (test) return `${test.target} already exists`;
  return undefined;
}

const { name, root } = parseCommandLine();
const badName = nameProblem(name);
if (badName) usageError(program, badName);
if (!existsSync(path.join(root, "apps")) || !statSync(path.join(root, "apps")).isDirectory())
  fail(`${root} has no apps/ folder (is --root the repository?)`);
const taken = takenProblem(name, root);
if (taken) fail(taken);

// Everything is rendered before anything is written, so a bad template leaves no half a service.
const files = filesFor(name).map(({ template, target }) => {
  const text = readFileSync(path.join(templatesDir, template), "utf8").replace(nameToken, name);
  return { target, text };
});
for (const { target, text } of files) {
  mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
  writeFileSync(path.join(root, target), text, { flag: "wx" });
}

const say = (line = "") => process.stdout.write(`${line}\n`);
say(`created the ${name} service (consumer group "${name}" on points.events):`);
for (const { target } of files) say(`  ${target}`);
say();
say("next steps:");
const steps = [
  [`edit handleEvent in apps/${name}/service.ts`, "your logic (it logs each event for now)"],
  [`npm run svc -- ${name}`, "run it (next to `npm start`, or a running broker)"],
  [`npx tsx --test test/apps/${name}/service.test.ts`, "its test: a broker, the service, one event"],
];
const width = Math.max(...steps.map(([command]) => command!.length));
for (const [command, why] of steps) say(`  ${command!.padEnd(width)}   ${why}`);
