// The ledger members of one rebalance-lab variant: real ledger processes (apps/ledger via the
// services launcher) under the system's supervisor, each with its own event log
// (LEDGER_EVENT_LOG=<dir>/<member>.jsonl) and, for static membership, its own instance id kept
// across restarts. It carries out the schedule's actions — join (start), leave (SIGTERM), crash
// (SIGKILL), restart (SIGTERM, then start again) — and remembers when each member's process ran and
// when each action happened, for the timeline.
//
// Owner of mutable state: a MemberFleet owns its members' runs and the markers of what it did; the
// processes themselves are the supervisor's.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type EventLine, parseEventLog } from "../../../apps/ledger/event-log.ts";
import { serviceReadyLine, serviceScript } from "../../../apps/services.ts";
import type { Supervisor } from "../../../apps/supervisor.ts";
import type { ChurnAction, ChurnKind } from "./schedule.ts";
import type { MemberHistory, MemberRun } from "./timeline.ts";

/** Something the fleet did to a member, at a time: the swimlanes' markers. */
export interface FleetMarker {
  at: number;
  member: string;
  kind: ChurnKind;
}

export interface FleetOptions {
  /** Prefix of the supervisor's labels. */
  label: string;
  /** The system's environment for a service (broker, database, partitions). */
  env: Record<string, string>;
  /** Environment for one member (the variant's group settings). */
  memberEnv(member: string): Record<string, string>;
  /** Where the event logs go. */
  eventDir: string;
  show(line: string): boolean;
  /** The member's program (default: the ledger's main). */
  script?: string;
}

export class MemberFleet {
  /** `ending`: the fleet is ending (or ended) this run. */
  private readonly runs = new Map<string, (MemberRun & { ending?: boolean })[]>();
  private readonly doneMarkers: FleetMarker[] = [];
  /** Members whose process ended without the fleet asking (a crash of the member itself). */
  private readonly ownExits: { member: string; at: number; how: string }[] = [];

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: FleetOptions,
  ) {
    mkdirSync(options.eventDir, { recursive: true });
  }

  private labelOf(member: string): string {
    return `${this.options.label}/${member}`;
  }

  eventLogOf(member: string): string {
    return path.join(this.options.eventDir, `${member}.jsonl`);
  }

  /** Starts the member's process and waits until it consumes (its ready line). */
  async start(member: string): Promise<void> {
    const run: MemberRun & { ending?: boolean } = { startedAt: Date.now() };
    const list = this.runs.get(member) ?? [];
    list.push(run);
    this.runs.set(member, list);
    await this.supervisor.start({
      label: this.labelOf(member),
      script: this.options.script ?? serviceScript("ledger"),
      env: { ...this.options.env, ...this.options.memberEnv(member), LEDGER_EVENT_LOG: this.eventLogOf(member) },
      readyLine: serviceReadyLine,
      show: this.options.show,
      restart: false,
      onExit: (code, signal) => {
        if (run.endedAt !== undefined) return;
        run.endedAt = Date.now();
        if (!run.ending) this.ownExits.push({ member, at: run.endedAt, how: signal ?? `exit code ${code}` });
      },
    });
  }

  private async end(member: string, signal: NodeJS.Signals): Promise<void> {
    const run = this.runs.get(member)?.at(-1);
    // A member that died on its own (see unexpectedExits) is already where the action leaves it.
    if (run && run.endedAt !== undefined && !run.ending) return;
    if (!run || run.endedAt !== undefined) throw new Error(`${member} is not running`);
    run.ending = true;
    await this.supervisor.stop(this.labelOf(member), signal);
  }

  /** Exits the fleet did not cause: a member that died on its own. */
  unexpectedExits(): { member: string; at: number; how: string }[] {
    return [...this.ownExits];
  }

  /** Carries out the action; its marker is kept once it succeeded, at the time it began. */
  async apply(action: ChurnAction): Promise<void> {
    const at = Date.now();
    switch (action.kind) {
      case "join":
        await this.start(action.member);
        break;
      case "leave":
        await this.end(action.member, "SIGTERM");
        break;
      case "crash":
        await this.end(action.member, "SIGKILL");
        break;
      case "restart":
        await this.end(action.member, "SIGTERM");
        await this.start(action.member);
        break;
    }
    this.doneMarkers.push({ at, member: action.member, kind: action.kind });
  }

  /** What was done, in the order it began. */
  markers(): FleetMarker[] {
    return [...this.doneMarkers].sort((a, b) => a.at - b.at);
  }

  members(): string[] {
    return [...this.runs.keys()];
  }

  /** Every member's runs and event log as written so far. */
  histories(): MemberHistory[] {
    return [...this.runs].map(([member, runs]) => ({
      member,
      runs: runs.map(({ startedAt, endedAt }) => (endedAt === undefined ? { startedAt } : { startedAt, endedAt })),
      lines: this.linesOf(member),
    }));
  }

  linesOf(member: string): EventLine[] {
    const file = this.eventLogOf(member);
    return existsSync(file) ? parseEventLog(readFileSync(file, "utf8")) : [];
  }
}
