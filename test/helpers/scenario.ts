// Scenario tests: run a scenario in-process through the runner (its brokers are real processes on
// free ports) and assert its outcome; the narration is collected and shown only when it fails.
import assert from "node:assert/strict";
import { type RunOptions, runScenario, type ScenarioResult } from "../../seed/scenarios/runner.ts";
import type { Scenario } from "../../seed/scenarios/scenario.ts";

export interface NarratedResult extends ScenarioResult {
  narration: string[];
}

/** Runs `scenario` and returns its result with every narrated line. */
export async function runNarrated(
  scenario: Scenario,
  options: Omit<RunOptions, "output"> = {},
): Promise<NarratedResult> {
  const narration: string[] = [];
  const result = await runScenario(scenario, { ...options, output: (line) => narration.push(line) });
  return { ...result, narration };
}

/** Runs `scenario` and asserts it passed: at least one check made, none failed, nothing thrown. */
export async function runScenarioTest(
  scenario: Scenario,
  options: Omit<RunOptions, "output"> = {},
): Promise<NarratedResult> {
  const result = await runNarrated(scenario, options);
  const shown = `\n${result.narration.join("\n")}`;
  assert.ok(result.checks > 0, `no check was made:${shown}`);
  assert.equal(result.failed, 0, `a check failed (${result.stoppedBy}):${shown}`);
  assert.ok(result.ok, `not ok:${shown}`);
  return result;
}

/**
 * Runs `scenario` (built on a broken part, a test double) and asserts it failed on a check — not on
 * an error — whose text contains `failedCheck` (English narration).
 */
export async function runScenarioExpectingFailure(scenario: Scenario, failedCheck: string): Promise<NarratedResult> {
  const result = await runNarrated(scenario, { lang: "en" });
  const shown = `\n${result.narration.join("\n")}`;
  assert.equal(result.ok, false, `it passed with the broken part:${shown}`);
  assert.ok(
    result.narration.some((line) => line.includes("✗") && line.includes(failedCheck)),
    `no failed check "${failedCheck}":${shown}`,
  );
  assert.ok(
    !result.narration.some((line) => line.includes("the scenario stopped")),
    `it stopped on an error, not a check:${shown}`,
  );
  return result;
}
