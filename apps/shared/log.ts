// Services print one human-readable line per event on stdout, prefixed with the service name, so
// `npm start` can interleave every service's output and still tell who said what:
//   [ledger] joined group ledger as ledger-1 (leader): partitions [0, 2, 4] of points.commands
// With LOG_FORMAT=json they print pino's JSON lines instead ({"level","time","service","message",
// "error"?}). Either way pino produces the entry; the human form is rendered from it by the small
// destination below. Lines written in one turn of the event loop leave in one write to stdout
// (a consumer service logs a line per event of a batch: one write system call each cost more CPU
// than the rest of the line's work). Owner of mutable state: stdoutLines, the process's one buffer
// of lines not yet written.
import pino from "pino";

export interface AppLog {
  info(message: string): void;
  /** Something the operator should know, the service working on regardless (it listens beyond loopback, say). */
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export type LogFormat = "human" | "json";

interface Entry {
  service: string;
  level?: string;
  message: string;
  error?: string;
}

/** `[service] message`, `[service] warning: message` or `[service] message: error`, the line people and tests read. */
export function humanLine(entry: Entry): string {
  const warning = entry.level === "warn" ? "warning: " : "";
  return `[${entry.service}] ${warning}${entry.message}${entry.error === undefined ? "" : `: ${entry.error}`}\n`;
}

export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.LOG_FORMAT === "json" ? "json" : "human";
}

/**
 * A writer that joins what is written in the same turn of the event loop and hands it to `flush`
 * once the turn ends (setImmediate: as soon as the loop is idle, never on a timer), and at once
 * when the process exits.
 */
export function turnBuffered(flush: (text: string) => void): ((line: string) => void) & { flushNow(): void } {
  let pending: string[] = [];
  const flushPending = () => {
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join("");
    pending = [];
    flush(text);
  };
  process.on("exit", flushPending);
  const write = (line: string) => {
    if (pending.push(line) === 1) setImmediate(flushPending);
  };
  return Object.assign(write, { flushNow: flushPending });
}

let stdoutLines: ReturnType<typeof turnBuffered> | undefined;

/** Writes the lines logged so far at once: for a process about to end without an exit (SIGKILL). */
export function flushLogs(): void {
  stdoutLines?.flushNow();
}

/** The process's stdout, lines buffered per turn (turnBuffered). */
function writeStdout(line: string): void {
  stdoutLines ??= turnBuffered((text) => process.stdout.write(text));
  stdoutLines(line);
}

export function createLog(
  service: string,
  write: (line: string) => void = writeStdout,
  format: LogFormat = logFormatFromEnv(),
): AppLog {
  const destination = {
    write: format === "json" ? write : (json: string) => write(humanLine(JSON.parse(json) as Entry)),
  };
  const log = pino(
    {
      base: { service },
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, error) =>
      error === undefined
        ? log.error(message)
        : log.error({ error: error instanceof Error ? error.message : String(error) }, message),
  };
}
