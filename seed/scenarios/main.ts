// `npm run scenario`: lists the scenarios of the learning path; `npm run scenario -- <name|number>
// [--lang ko] [--console] [--verbose]` runs one on a fresh system of its own (exit 0 when every
// check held, else 1); `--all` runs every available one in order and sums them up. An unknown name
// is bad usage: one line, exit 2.
import { createCli, usageError } from "../../apps/shared/cli.ts";
import { findScenario, scenarios } from "./catalog/index.ts";
import { runScenario } from "./runner.ts";
import type { Lang, Scenario } from "./scenario.ts";

const program = createCli(
  "scenario",
  "Learn Kafka with the points ledger: each scenario shows one concept on a fresh broker (or cluster) of its own, narrated step by step, its outcome checked. Without arguments, lists them.",
);
program
  .argument("[scenario]", "the scenario's name or number (see the list)")
  .option("--lang <lang>", "narration language: en or ko", "en")
  .option("--console", "start the console for the scenario's system and point at its views", false)
  .option("--all", "run every available scenario in order", false)
  .option("--verbose", "pass the brokers' and services' own output through", false)
  .parse();

const values = program.opts<{ lang: string; console: boolean; all: boolean; verbose: boolean }>();
const [wanted] = program.args;
if (values.lang !== "en" && values.lang !== "ko") usageError(program, `--lang must be en or ko (got "${values.lang}")`);
const lang = values.lang as Lang;
const say = (line: string) => process.stdout.write(`${line}\n`);

if (values.all) {
  if (wanted !== undefined) usageError(program, "--all runs every scenario; name none");
  const results: string[] = [];
  let failures = 0;
  for (const scenario of scenarios) {
    if (scenario.notAvailable) {
      results.push(`  -  ${label(scenario)}: ${notAvailableText()} (${scenario.notAvailable[lang]})`);
      continue;
    }
    const result = await runScenario(scenario, { lang, console: values.console, verbose: values.verbose });
    if (!result.ok) failures += 1;
    results.push(`  ${result.ok ? "✓" : "✗"}  ${label(scenario)}: ${result.checks} checks, ${result.failed} failed`);
    say("");
  }
  say(lang === "ko" ? "요약:" : "summary:");
  for (const line of results) say(line);
  process.exit(failures === 0 ? 0 : 1);
}

if (wanted === undefined) {
  say(
    lang === "ko"
      ? "시나리오 (npm run scenario -- <이름|번호> [--lang ko]):"
      : "scenarios (npm run scenario -- <name|number> [--lang ko]):",
  );
  for (const scenario of scenarios) {
    const missing = scenario.notAvailable ? `  [${notAvailableText()}: ${scenario.notAvailable[lang]}]` : "";
    say(`  ${label(scenario)}  ${scenario.title[lang]}${missing}`);
  }
  process.exit(0);
}

const scenario = findScenario(wanted);
if (!scenario) usageError(program, `unknown scenario "${wanted}"; npm run scenario lists them`);
const result = await runScenario(scenario, { lang, console: values.console, verbose: values.verbose });
process.exit(result.ok ? 0 : 1);

function label(s: Scenario): string {
  return `${String(s.number).padStart(2)} ${s.name.padEnd(28)}`;
}

function notAvailableText(): string {
  return lang === "ko" ? "아직 실행할 수 없음" : "not available yet";
}
