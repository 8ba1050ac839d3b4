// Command-line tools run as a developer runs them: a TypeScript script through node with tsx's
// loader (as `npm run` does, and so that a signal reaches the script itself), from the repository
// root, with what it prints collected. NODE_TEST_CONTEXT is left out of the environment, so a
// nested `node --test` prints its own report instead of reporting to this runner.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { entryPointArgs } from "../../apps/shared/entry-point.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface CommandOptions {
  /** Default: the repository root. */
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

export interface RunningCommand {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they came. */
  output(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

export interface FinishedCommand {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function startCommand(
  command: string,
  args: string[],
  { cwd = repoRoot, env = {} }: CommandOptions = {},
): RunningCommand {
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawn(command, args, { cwd, env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  // "close", not "exit": it comes once stdout and stderr are drained too, so output() is complete.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, exited };
}

/** Runs `command` to its end (all its output read). */
export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<FinishedCommand> {
  const running = startCommand(command, args, options);
  return new Promise((resolve, reject) => {
    running.child.once("error", reject);
    running.child.once("close", (code) => resolve({ code, stdout: running.stdout(), stderr: running.stderr() }));
  });
}

/** Starts a TypeScript script (a path from the repository root, or absolute). */
export function startScript(script: string, args: string[] = [], options: CommandOptions = {}): RunningCommand {
  return startCommand(process.execPath, [...entryPointArgs(script), ...args], options);
}

/** Runs a TypeScript script to its end. */
export function runScript(script: string, args: string[] = [], options: CommandOptions = {}): Promise<FinishedCommand> {
  return runCommand(process.execPath, [...entryPointArgs(script), ...args], options);
}
