// Starts the points demo's services as real child processes (node with tsx's loader, so SIGKILL
// hits the service itself), against a broker from broker-process.ts and the services' SQLite files
// in a temp data directory. A service counts as ready when it prints its ready line.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateServiceDatabases, ownerDatabaseUrl, type TableOwner } from "../../apps/shared/db/service-databases.ts";
import { entryPointArgs } from "../../apps/shared/entry-point.ts";
import { serviceReadyLine } from "../../apps/shared/process.ts";
import { bearer, provisionTerminalKeys } from "../../apps/shared/terminal-keys.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface AppEnv {
  dataDir: string;
  /** DATABASE_URL: points-api's file. */
  databaseUrl: string;
  /** The file of `owner`'s tables (service-databases.ts). */
  databaseUrlOf(owner: TableOwner): string;
  /** Environment for a service: DATA_DIR, DATABASE_URL, KAFKA_BROKERS, PORT=0, and the overrides. */
  env(overrides?: Record<string, string>): Record<string, string>;
  /**
   * The terminal's key in this data directory, issued now if it has none: what a command from it
   * carries. A points-api already running takes a key issued after its start as well.
   */
  terminalKey(terminalId: string): string;
  /** The Authorization header with that key. */
  authorization(terminalId: string): { authorization: string };
  cleanup(): void;
}

/** A fresh data directory with a migrated SQLite file, pointing at `brokerAddress`. */
export function createAppEnv(brokerAddress: string, base: Record<string, string> = {}): AppEnv {
  const dataDir = mkdtempSync(join(tmpdir(), "points-app-"));
  const databaseUrl = `file:${join(dataDir, "points.db")}`;
  migrateServiceDatabases(databaseUrl);
  const terminalKey = (terminalId: string) => provisionTerminalKeys(dataDir, [terminalId])[terminalId]!;
  return {
    dataDir,
    databaseUrl,
    databaseUrlOf: (owner) => ownerDatabaseUrl(databaseUrl, owner),
    env: (overrides = {}) => ({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokerAddress,
      PORT: "0",
      ...base,
      ...overrides,
    }),
    terminalKey,
    authorization: (terminalId) => ({ authorization: bearer(terminalKey(terminalId)) }),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export interface ServiceProcess {
  name: string;
  /** points-api only: its base URL. */
  url: string;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as in a crash. */
  kill(): Promise<void>;
  /** Sends a signal that does not stop it (the ledger's SIGUSR1 stall, say). */
  signal(signal: NodeJS.Signals): void;
}

/** Runs `apps/<name>/main.ts` (or the given script) and waits for its ready line. */
export async function startService(
  name: string,
  env: Record<string, string>,
  options: { script?: string; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const script = options.script ?? join(repoRoot, "apps", name, "main.ts");
  const child: ChildProcess = spawn(process.execPath, entryPointArgs(script), {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${options.timeoutMs ?? 30_000} ms:\n${log}`)),
      options.timeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = serviceReadyLine.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? "");
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    // "close", not "exit": it comes once stdout and stderr are drained too, so output() is complete.
    else child.once("close", (code) => resolve(code));
  });
  return {
    name,
    url,
    output: () => log,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    signal: (signal) => {
      child.kill(signal);
    },
  };
}
