// Tests that need a program the operating system provides (kcat, chromium) rather than npm. Such a
// program is looked up on PATH; when it is missing, the tests that need it are skipped, and one loud
// line on stderr per tool and test run says what is missing and how to install it. With
// REQUIRE_TEST_TOOLS=1 (.ci/run sets it) each of those skips is a failure with the same text
// instead, so CI always runs them. State: this process's set of tools already announced; across
// the run's processes, one marker file per tool and run under the OS temp directory.

import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { TestOptions } from "node:test";

export interface SystemTool {
  /** The command looked up on PATH. */
  readonly command: string;
  /** What installs it on Debian. */
  readonly install: string;
  /**
   * Arguments that must make the command exit 0 for it to count (a Python module it must import,
   * say): PATH is searched on for a command that passes, as pyenv's python3 may come first.
   */
  readonly probe?: readonly string[];
}

/** librdkafka's CLI: the acceptance and cross-client tests drive the broker with it. */
export const KCAT: SystemTool = { command: "kcat", install: "apt-get install -y kcat" };

/** librdkafka's Python binding, the transactional producer's acceptance test drives it (Debian's, with librdkafka 2.0.2). */
export const CONFLUENT_KAFKA: SystemTool = {
  command: "python3",
  install: "apt-get install -y python3-confluent-kafka",
  probe: ["-c", "import confluent_kafka"],
};

/** Headless Chromium, driven through playwright-core, renders the demo page and the lab's report. */
export const CHROMIUM: SystemTool = { command: "chromium", install: "apt-get install -y chromium" };

/** Set to 1 and a missing tool fails the tests that need it instead of skipping them. */
export const REQUIRE_TOOLS_VARIABLE = "REQUIRE_TEST_TOOLS";

type Env = Record<string, string | undefined>;

/** The tool's full path on `env.PATH`, or undefined. */
export function locate(tool: SystemTool, env: Env = process.env): string | undefined {
  for (const directory of (env.PATH ?? "").split(delimiter)) {
    if (directory === "") continue;
    const candidate = join(directory, tool.command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile() && passesProbe(candidate, tool)) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function passesProbe(path: string, tool: SystemTool): boolean {
  if (tool.probe === undefined) return true;
  return spawnSync(path, tool.probe, { stdio: "ignore", timeout: 30_000 }).status === 0;
}

/** The tool's full path, for the body of a test guarded by `needs`. */
export function pathOf(tool: SystemTool): string {
  const found = locate(tool);
  if (found === undefined) throw new Error(missingText(tool));
  return found;
}

export function missingText(tool: SystemTool): string {
  return `${tool.command} not found on PATH — ${tool.install}`;
}

export type Verdict = { run: true } | { run: false; missing: SystemTool[]; reason: string; fail: boolean };

/** Whether tests that need `tools` run, are skipped, or fail (REQUIRE_TEST_TOOLS=1) in `env`. */
export function verdictFor(tools: readonly SystemTool[], env: Env = process.env): Verdict {
  const missing = tools.filter((tool) => locate(tool, env) === undefined);
  if (missing.length === 0) return { run: true };
  return {
    run: false,
    missing,
    reason: missing.map(missingText).join("; "),
    fail: env[REQUIRE_TOOLS_VARIABLE] === "1",
  };
}

/**
 * The node:test options and body for a suite or test that needs `tools`, to spread after its name:
 * `it("when …", ...needs(KCAT, { timeout }, async () => { … }))`. All present: as given. One
 * missing: skipped, its reason the install hint. With REQUIRE_TEST_TOOLS=1: the body is replaced
 * by one that throws that text, so the suite or test fails.
 */
export function needs<Body extends (...args: never[]) => unknown>(
  tools: SystemTool | readonly SystemTool[],
  options: TestOptions,
  body: Body,
): [TestOptions, Body];
export function needs<Body extends (...args: never[]) => unknown>(
  tools: SystemTool | readonly SystemTool[],
  body: Body,
): [TestOptions, Body];
export function needs<Body extends (...args: never[]) => unknown>(
  tools: SystemTool | readonly SystemTool[],
  optionsOrBody: TestOptions | Body,
  maybeBody?: Body,
): [TestOptions, Body] {
  const [options, body] =
    typeof optionsOrBody === "function" ? [{}, optionsOrBody] : [optionsOrBody, maybeBody as Body];
  const verdict = verdictFor(Array.isArray(tools) ? tools : [tools as SystemTool]);
  if (!verdict.run && !verdict.fail) for (const tool of verdict.missing) announceSkip(tool);
  return guarded(verdict, options, body);
}

/** What `needs` hands node:test for a verdict: as given, skipped with the reason, or a body that fails with it. */
export function guarded<Body extends (...args: never[]) => unknown>(
  verdict: Verdict,
  options: TestOptions,
  body: Body,
): [TestOptions, Body] {
  if (verdict.run) return [options, body];
  if (!verdict.fail) return [{ ...options, skip: verdict.reason }, body];
  const failing = (() => {
    throw new Error(`${verdict.reason} (${REQUIRE_TOOLS_VARIABLE}=1: a missing tool fails instead of skipping)`);
  }) as unknown as Body;
  return [options, failing];
}

const announcedHere = new Set<string>();

/** The loud line, once per tool in this process and, as far as the markers tell, in this run. */
function announceSkip(tool: SystemTool): void {
  if (announcedHere.has(tool.command)) return;
  announcedHere.add(tool.command);
  if (!firstInRun(tool.command)) return;
  process.stderr.write(
    `SKIPPED every test that needs ${tool.command}: ${missingText(tool)} ` +
      `(${REQUIRE_TOOLS_VARIABLE}=1 makes these skips failures)\n`,
  );
}

const markerDirectory = join(tmpdir(), "points-ledger-test-tools");

/**
 * Whether this process is the first of its test run to claim `key`. node --test runs each file in
 * a child process (NODE_TEST_CONTEXT set) of the runner, so the runner's pid and start time name
 * the run; a file run on its own is a run of its own. Markers of runs whose process is gone are
 * removed on the way. When the markers cannot be used, every process counts as first.
 */
export function firstInRun(key: string, run: string = currentRun(), directory: string = markerDirectory): boolean {
  try {
    mkdirSync(directory, { recursive: true });
    removeMarkersOfEndedRuns(directory);
    writeFileSync(join(directory, `${run}--${key}`), "", { flag: "wx" });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "EEXIST";
  }
}

function currentRun(): string {
  const pid = process.env.NODE_TEST_CONTEXT ? process.ppid : process.pid;
  return `${pid}-${startTimeOf(pid)}`;
}

/** The process's start time in clock ticks since boot (Linux), so a reused pid names another run. */
function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3; start time is field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "0";
  } catch {
    return "0";
  }
}

function removeMarkersOfEndedRuns(directory: string): void {
  for (const name of readdirSync(directory)) {
    const pid = Number(name.split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) rmSync(join(directory, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
