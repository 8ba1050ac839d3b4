// The console's fault controls, on the processes `npm start` supervises: kill -9 a broker (left down
// until restarted), restart it, pause (SIGSTOP) and resume it; stall one ledger member past its max
// poll interval (SIGUSR1: the ledger holds its next batch), freeze one (SIGSTOP past its session
// timeout, then SIGCONT), add or remove ledger instances. Each is recorded in the event feed as a
// "fault" event saying what the console did.
//
// Ownership: FaultControls owns which ledger members it stalled or froze, until when, and the
// timers that thaw the frozen ones; the processes are the Supervisor's.

import { AppError } from "../shared/errors.ts";
import type { ChildInfo, ChildSpec } from "../supervisor.ts";
import type { ConsoleBroker } from "./admin-poller.ts";
import type { EventFeed } from "./event-feed.ts";

/** What the fault controls need of the Supervisor. */
export interface Processes {
  signal(label: string, signal: NodeJS.Signals): void;
  stop(label: string, signal?: NodeJS.Signals): Promise<number>;
  startAgain(label: string): Promise<RegExpExecArray>;
  start(spec: ChildSpec): Promise<RegExpExecArray>;
  remove(label: string): Promise<void>;
  children(): ChildInfo[];
}

export type LedgerStatus = "running" | "stalled" | "frozen" | "stopped";

export interface FaultControlsDeps {
  processes: Processes;
  brokers: readonly ConsoleBroker[];
  events: Pick<EventFeed, "record">;
  /** The spec of a new ledger instance labelled `label` (ledger#2, ledger#3, ...). */
  ledgerSpec(label: string): ChildSpec;
  /** The ledger's session timeout (LEDGER_SESSION_TIMEOUT_MS): a freeze lasts this plus 5 s. */
  sessionTimeoutMs: number;
  /** How long a stalled member shows as stalled: its max poll (rebalance) interval plus a margin. */
  stallMs: number;
  now?: () => number;
}

/** What a fault route answers: what was done. */
export interface FaultResult {
  done: string;
  [detail: string]: unknown;
}

const FREEZE_MARGIN_MS = 5_000;

export const isLedgerLabel = (label: string): boolean => label === "ledger" || /^ledger#\d+$/.test(label);

export class FaultControls {
  private readonly stalledUntil = new Map<string, number>();
  private readonly frozen = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly deps: FaultControlsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The ledger members the console supervises, with their pids and what was done to them. */
  ledgers(): Array<{ label: string; pid: number | null; status: LedgerStatus }> {
    return this.deps.processes
      .children()
      .filter((child) => isLedgerLabel(child.label))
      .map(({ label, pid, status }) => {
        let shown: LedgerStatus = "running";
        if (status === "stopped") shown = "stopped";
        else if (this.frozen.has(label) || status === "paused") shown = "frozen";
        else if ((this.stalledUntil.get(label) ?? 0) > this.now()) shown = "stalled";
        return { label, pid, status: shown };
      });
  }

  async killBroker(id: number): Promise<FaultResult> {
    const label = this.brokerLabel(id);
    await this.act(() => this.deps.processes.stop(label, "SIGKILL"));
    this.deps.events.record("fault", `kill -9 broker ${id} from the console`, { subjectBroker: id });
    return { done: `broker ${id} killed (SIGKILL); it stays down until restarted`, broker: id };
  }

  /** Starts a killed broker again; answers at once, its return is in the event feed. */
  restartBroker(id: number): FaultResult {
    const label = this.brokerLabel(id);
    const child = this.deps.processes.children().find((c) => c.label === label);
    if (child && child.status !== "stopped") throw AppError.conflict(`broker ${id} is ${child.status}, not stopped`);
    this.deps.events.record("fault", `restart broker ${id} from the console`, { subjectBroker: id });
    this.deps.processes.startAgain(label).then(
      () => this.deps.events.record("fault", `broker ${id} is listening again`, { subjectBroker: id }),
      (error: Error) =>
        this.deps.events.record("fault", `broker ${id} did not start again: ${error.message}`, { subjectBroker: id }),
    );
    return { done: `broker ${id} starting`, broker: id };
  }

  pauseBroker(id: number): FaultResult {
    const label = this.brokerLabel(id);
    this.actNow(() => this.deps.processes.signal(label, "SIGSTOP"));
    this.deps.events.record("fault", `pause broker ${id} (SIGSTOP) from the console`, { subjectBroker: id });
    return { done: `broker ${id} paused (SIGSTOP)`, broker: id };
  }

  resumeBroker(id: number): FaultResult {
    const label = this.brokerLabel(id);
    this.actNow(() => this.deps.processes.signal(label, "SIGCONT"));
    this.deps.events.record("fault", `resume broker ${id} (SIGCONT) from the console`, { subjectBroker: id });
    return { done: `broker ${id} resumed (SIGCONT)`, broker: id };
  }

  stallLedger(label: string): FaultResult {
    this.ledgerLabel(label);
    this.actNow(() => this.deps.processes.signal(label, "SIGUSR1"));
    this.stalledUntil.set(label, this.now() + this.deps.stallMs);
    this.deps.events.record("fault", `stall ${label} past its max poll interval (SIGUSR1) from the console`);
    return { done: `${label} holds its next batch past its max poll interval`, label };
  }

  freezeLedger(label: string): FaultResult {
    this.ledgerLabel(label);
    if (this.frozen.has(label)) throw AppError.conflict(`${label} is frozen already`);
    const forMs = this.deps.sessionTimeoutMs + FREEZE_MARGIN_MS;
    this.actNow(() => this.deps.processes.signal(label, "SIGSTOP"));
    const thaw = setTimeout(() => {
      this.frozen.delete(label);
      try {
        this.deps.processes.signal(label, "SIGCONT");
        this.deps.events.record("fault", `thaw ${label} (SIGCONT) after ${forMs} ms frozen`);
      } catch {
        // Stopped meanwhile: nothing to thaw.
      }
    }, forMs);
    thaw.unref();
    this.frozen.set(label, thaw);
    this.deps.events.record(
      "fault",
      `freeze ${label} (SIGSTOP) for ${forMs} ms, past its ${this.deps.sessionTimeoutMs} ms session timeout, from the console`,
    );
    return { done: `${label} frozen for ${forMs} ms`, label, forMs };
  }

  async addLedger(): Promise<FaultResult> {
    const taken = new Set(this.deps.processes.children().map((c) => c.label));
    let n = 2;
    while (taken.has(`ledger#${n}`)) n++;
    const label = `ledger#${n}`;
    this.deps.events.record("fault", `add ledger instance ${label} from the console`);
    await this.act(() => this.deps.processes.start(this.deps.ledgerSpec(label)));
    return { done: `${label} started`, label };
  }

  async removeLedger(label: string): Promise<FaultResult> {
    this.ledgerLabel(label);
    this.thaw(label);
    await this.act(() => this.deps.processes.remove(label));
    this.stalledUntil.delete(label);
    this.deps.events.record("fault", `remove ledger instance ${label} (SIGTERM) from the console`);
    return { done: `${label} stopped and removed`, label };
  }

  /** Resumes what is still frozen (the console is closing). */
  close(): void {
    for (const label of [...this.frozen.keys()]) this.thaw(label);
  }

  private thaw(label: string): void {
    const timer = this.frozen.get(label);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.frozen.delete(label);
    try {
      this.deps.processes.signal(label, "SIGCONT");
    } catch {
      // Not running: nothing to thaw.
    }
  }

  private brokerLabel(id: number): string {
    const broker = this.deps.brokers.find((b) => b.nodeId === id);
    if (!broker) throw AppError.notFound(`no broker ${id}`);
    if (broker.label === null) throw AppError.conflict(`broker ${id} is not run by this console's start command`);
    return broker.label;
  }

  private ledgerLabel(label: string): void {
    if (!isLedgerLabel(label) || !this.deps.processes.children().some((c) => c.label === label))
      throw AppError.notFound(`no ledger instance ${label}`);
  }

  private actNow(action: () => void): void {
    try {
      action();
    } catch (error) {
      throw AppError.conflict(error instanceof Error ? error.message : String(error));
    }
  }

  private async act<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw AppError.conflict(error instanceof Error ? error.message : String(error));
    }
  }
}
