// Running kcat (librdkafka's CLI) to completion from a test.
import { spawn } from "node:child_process";

export interface KcatResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface KcatOptions {
  input?: string;
  /** Default 30 s; a kcat still running then is killed, which shows in the result. */
  timeoutMs?: number;
  /** The executable; default "kcat" from PATH. */
  command?: string;
}

/** Runs kcat to completion (killed after `timeoutMs`, which then shows in the result). */
export function runKcat(args: string[], options: KcatOptions = {}): Promise<KcatResult> {
  const { input, timeoutMs = 30_000, command = "kcat" } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\n[test] kcat killed after ${timeoutMs} ms`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}
