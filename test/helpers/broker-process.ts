// Starts the real broker as a child process on a free loopback port, as the acceptance tests
// require; the data directory survives kill/restart so recovery can be observed. `useBroker` is
// the same for a whole describe block; `withBrokerLog` shows the broker's side of a failure.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { entryPointArgs } from "../../apps/shared/entry-point.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const mainScript = join(repoRoot, "broker", "server", "main.ts");

export interface BrokerProcess {
  host: string;
  port: number;
  /** "127.0.0.1:port", as clients take it. */
  address: string;
  dataDir: string;
  /** The broker process's pid while it runs (its memory is under /proc/<pid>); undefined once stopped. */
  readonly pid: number | undefined;
  /** `http://host:port` of its admin listener (StartOptions.adminPort); null without one. */
  adminUrl: string | null;
  /** With a `listeners` config: each listener's "host:port" by name (e.g. SASL_PLAINTEXT). */
  listeners: Readonly<Record<string, string>>;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown work at all, as in a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops if running and removes the data directory. */
  cleanup(): Promise<void>;
}

export interface StartOptions {
  config?: Record<string, string | number | boolean>;
  dataDir?: string;
  port?: number;
  /** Starts the admin HTTP listener (`--admin-port`); 0 takes a free port at every start. */
  adminPort?: number;
}

export async function startBroker(options: StartOptions = {}): Promise<BrokerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "broker-test-"));
  const configArgs = Object.entries(options.config ?? {}).flatMap(([k, v]) => ["--config", `${k}=${v}`]);
  const adminArgs = options.adminPort === undefined ? [] : ["--admin-port", String(options.adminPort)];
  let child: ChildProcess | undefined;
  let adminUrl: string | null = null;
  let listeners: Record<string, string> = {};
  // `listeners` says where to listen instead of --port (the broker refuses both).
  const portArgs = (): string[] => (options.config?.listeners === undefined ? ["--port", String(port)] : []);
  let log = "";
  let host = "127.0.0.1";
  let port = options.port ?? 0;

  const launch = async (): Promise<void> => {
    // One process (node with tsx's loader), not tsx's CLI wrapper: SIGKILL must hit the broker itself.
    const proc = spawn(
      process.execPath,
      [...entryPointArgs(mainScript), ...portArgs(), "--data-dir", dataDir, ...adminArgs, ...configArgs],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let lineBuffer = "";
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString();
        log += text;
        lineBuffer += text;
        adminUrl = /^admin listening on (http:\/\/\S+)$/m.exec(lineBuffer)?.[1] ?? adminUrl;
        const match = /^listening on ([^\s:]+):(\d+)/m.exec(lineBuffer);
        if (match) {
          listeners = Object.fromEntries(
            [...lineBuffer.matchAll(/^listener (\w+):\/\/(\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
          );
          host = match[1]!;
          port = Number(match[2]);
          resolve();
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
      });
      proc.once("exit", (code, signal) =>
        reject(new Error(`broker exited (${code ?? signal}) before listening:\n${log}`)),
      );
    });
  };

  const waitExit = (proc: ChildProcess): Promise<number | null> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve(proc.exitCode)
      : // "close", not "exit": it comes once stdout and stderr are drained too, so output() is complete.
        new Promise((resolve) => proc.once("close", (code) => resolve(code)));

  await launch();
  const handle: BrokerProcess = {
    get host() {
      return host;
    },
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    dataDir,
    get pid() {
      return child?.pid;
    },
    get adminUrl() {
      return adminUrl;
    },
    get listeners() {
      return listeners;
    },
    output: () => log,
    async stop() {
      if (!child) return null;
      const proc = child;
      child = undefined;
      proc.kill("SIGTERM");
      return waitExit(proc);
    },
    async kill() {
      if (!child) return;
      const proc = child;
      child = undefined;
      proc.kill("SIGKILL");
      await waitExit(proc);
    },
    async restart() {
      if (child) await handle.stop();
      await launch();
    },
    async cleanup() {
      await handle.kill();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/**
 * For a describe block: a broker started before its tests and cleaned up after them. The handle
 * stands for that broker (reading it before the tests start throws), so tests use it as they would
 * the one `startBroker` gives.
 */
export function useBroker(options: StartOptions = {}): BrokerProcess {
  let started: BrokerProcess | undefined;
  before(async () => {
    started = await startBroker(options);
  });
  after(async () => {
    await started?.cleanup();
  });
  const broker = (): BrokerProcess => {
    if (started === undefined) throw new Error("the suite's broker has not started");
    return started;
  };
  return {
    get host() {
      return broker().host;
    },
    get port() {
      return broker().port;
    },
    get address() {
      return broker().address;
    },
    get dataDir() {
      return broker().dataDir;
    },
    get pid() {
      return broker().pid;
    },
    get adminUrl() {
      return broker().adminUrl;
    },
    get listeners() {
      return broker().listeners;
    },
    output: () => broker().output(),
    stop: () => broker().stop(),
    kill: () => broker().kill(),
    restart: () => broker().restart(),
    cleanup: () => broker().cleanup(),
  };
}

/** Runs a test's body; when it fails, the broker's log tail is added to the error, which is where broker bugs show. */
export async function withBrokerLog<T>(broker: BrokerProcess | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const tail = (broker?.output() ?? "").split("\n").slice(-40).join("\n");
    if (error instanceof Error && tail.trim() !== "") error.message += `\n--- broker log (tail) ---\n${tail}`;
    throw error;
  }
}
