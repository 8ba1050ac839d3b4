// Runs the demo's processes as children of one parent (`npm start`, `npm run svc -- x --instances
// n`): their output is passed through line by line with a prefix, a child that dies unexpectedly is
// restarted (up to a limit), and stopAll() sends SIGTERM in reverse start order and waits. The
// console's fault controls go through it too: signal a child (pause, resume, a ledger stall), kill
// one for good, start it again from its spec, and list every label it knows with pid and status.
//
// Ownership: the Supervisor owns its children, their specs (kept after a child stops, so it can be
// started again) and which of them it paused.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { entryPointArgs } from "./shared/entry-point.ts";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export interface ChildSpec {
  /** Shown in the prefix and messages. */
  label: string;
  script: string;
  args?: string[];
  /** Options for node itself, before the script (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Resolves the start when a line matches; its match is returned. */
  readyLine: RegExp;
  /** Lines to pass through (default all). */
  show?(line: string): boolean;
  /** Rewrites a passed-through line (default: prefix with the label); `pid` is the child's. */
  format?(line: string, pid: number): string;
  /** Restart when it dies on its own (default true). */
  restart?: boolean;
  /** Called when the child exits, however (after its ready line or not). */
  onExit?(code: number | null, signal: NodeJS.Signals | null): void;
}

/** Services prefix their own lines with `[name]`; keep one prefix, the label's (e.g. `ledger#2`). */
function withLabel(label: string, line: string): string {
  const own = /^\[([^\]]+)\] /.exec(line);
  return own && label.startsWith(own[1]!) ? `[${label}] ${line.slice(own[0].length)}` : `[${label}] ${line}`;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess;
  exited: Promise<void>;
  /** Ended by stop(): not restarted. */
  stopped?: boolean;
  /** Its ready line came. */
  ready?: boolean;
  /** Sent SIGSTOP and no SIGCONT since. */
  paused?: boolean;
}

/** "starting": before its ready line; "restarting": died on its own, about to start again. */
export type ChildStatus = "starting" | "running" | "paused" | "restarting" | "stopped";

export interface ChildInfo {
  label: string;
  pid: number | null;
  status: ChildStatus;
}

export class Supervisor {
  private readonly running: Running[] = [];
  private stopping = false;
  private readonly crashes = new Map<string, number[]>();
  /** Every label started, in first-start order, with the spec it was started from last. */
  private readonly specs = new Map<string, ChildSpec>();
  private readonly restarting = new Set<string>();

  constructor(
    private readonly out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly onGiveUp: (label: string) => void = () => {},
  ) {}

  /** Starts the child and waits for its ready line; rejects with its output if it exits first. */
  start(spec: ChildSpec): Promise<RegExpExecArray> {
    this.specs.set(spec.label, spec);
    const child = spawn(
      process.execPath,
      [...(spec.nodeArgs ?? []), ...entryPointArgs(path.resolve(repoRoot, spec.script)), ...(spec.args ?? [])],
      {
        cwd: repoRoot,
        env: { ...process.env, ...spec.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let entry!: Running;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    entry = { spec, child, exited };
    this.running.push(entry);

    return new Promise<RegExpExecArray>((resolve, reject) => {
      let ready = false;
      const early: string[] = [];
      const onLine = (line: string) => {
        if (!ready) {
          early.push(line);
          const match = spec.readyLine.exec(line);
          if (match) {
            ready = true;
            entry.ready = true;
            resolve(match);
          }
        }
        if (spec.show?.(line) ?? true)
          this.out(spec.format ? spec.format(line, child.pid!) : withLabel(spec.label, line));
      };
      createInterface({ input: child.stdout! }).on("line", onLine);
      createInterface({ input: child.stderr! }).on("line", onLine);
      child.once("exit", (code, signal) => {
        this.running.splice(this.running.indexOf(entry), 1);
        spec.onExit?.(code, signal);
        if (!ready) {
          reject(
            new Error(
              `${spec.label} exited (${signal ?? code}) before it was ready${early.length ? `:\n${early.slice(-20).join("\n")}` : ""}`,
            ),
          );
          return;
        }
        if (this.stopping || spec.restart === false || entry.stopped) return;
        this.restartAfterCrash(spec, signal ?? String(code));
      });
    });
  }

  private restartAfterCrash(spec: ChildSpec, how: string): void {
    const now = Date.now();
    const recent = (this.crashes.get(spec.label) ?? []).filter((t) => now - t < 60_000);
    recent.push(now);
    this.crashes.set(spec.label, recent);
    if (recent.length > 5) {
      this.out(`[${spec.label}] exited (${how}) ${recent.length} times within a minute; giving up`);
      this.onGiveUp(spec.label);
      return;
    }
    this.out(`[${spec.label}] exited (${how}); restarting in 1 s`);
    this.restarting.add(spec.label);
    setTimeout(() => {
      this.restarting.delete(spec.label);
      if (this.stopping || this.running.some((r) => r.spec.label === spec.label)) return;
      this.start(spec).catch((error: Error) => this.out(`[${spec.label}] restart failed: ${error.message}`));
    }, 1_000).unref();
  }

  /**
   * Ends the running child labelled `label` with `signal` (SIGTERM: a clean stop; SIGKILL: a crash)
   * and waits for it to exit; it is not restarted. Resolves with when it exited (ms since the epoch).
   */
  async stop(label: string, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<number> {
    const entry = this.running.find((r) => r.spec.label === label);
    if (!entry) throw new Error(`no running child labelled ${label}`);
    entry.stopped = true;
    entry.child.kill(signal);
    // A paused child acts on a signal only once it runs again.
    if (entry.paused) entry.child.kill("SIGCONT");
    const timer = setTimeout(() => entry.child.kill("SIGKILL"), graceMs);
    await entry.exited;
    clearTimeout(timer);
    return Date.now();
  }

  /** SIGTERM to every child, last started first, each awaited (SIGKILL after `graceMs`). */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.running].reverse()) {
      entry.child.kill("SIGTERM");
      if (entry.paused) entry.child.kill("SIGCONT");
      const timer = setTimeout(() => entry.child.kill("SIGKILL"), graceMs);
      await entry.exited;
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` to the running child labelled `label` (SIGSTOP pauses it, SIGCONT resumes it,
   * anything else it handles itself); it stays supervised.
   */
  signal(label: string, signal: NodeJS.Signals): void {
    const entry = this.running.find((r) => r.spec.label === label);
    if (!entry) throw new Error(`no running child labelled ${label}`);
    entry.child.kill(signal);
    if (signal === "SIGSTOP") entry.paused = true;
    else if (signal === "SIGCONT") entry.paused = false;
  }

  /** Starts the child labelled `label` again from the spec it last ran with (after stop(), say). */
  startAgain(label: string): Promise<RegExpExecArray> {
    const spec = this.specs.get(label);
    if (!spec) return Promise.reject(new Error(`no child labelled ${label} was ever started`));
    if (this.running.some((r) => r.spec.label === label))
      return Promise.reject(new Error(`${label} is running already`));
    return this.start(spec);
  }

  /** Stops the child labelled `label` (if it runs) and forgets its spec: it is no longer listed. */
  async remove(label: string, graceMs = 10_000): Promise<void> {
    if (this.running.some((r) => r.spec.label === label)) await this.stop(label, "SIGTERM", graceMs);
    this.specs.delete(label);
  }

  /** Every label started and not removed, in first-start order, with its pid (while it runs) and status. */
  children(): ChildInfo[] {
    return [...this.specs.keys()].map((label) => {
      const entry = this.running.find((r) => r.spec.label === label);
      if (!entry) return { label, pid: null, status: this.restarting.has(label) ? "restarting" : "stopped" };
      const status: ChildStatus = entry.paused ? "paused" : entry.ready ? "running" : "starting";
      return { label, pid: entry.child.pid ?? null, status };
    });
  }
}
