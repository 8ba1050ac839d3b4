// Structured logs: one JSON object per line on stderr ({"level","time","message", ...fields}), so
// stdout carries only the `listening on HOST:PORT` line that scripts wait for. pino writes the
// lines; this file keeps the broker's (message, fields) call shape and owns no state of its own.
import pino, { type DestinationStream } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levels: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Offsets and other bigints are logged as strings: JSON numbers would lose their precision. */
function withoutBigints(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(withoutBigints);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = withoutBigints(field);
    return copy;
  }
  return value;
}

const noop = (): void => {};

/**
 * A logger at `minLevel` writing to `destination` (default: stderr, synchronously, so the lines
 * written just before an exit are not lost). Levels below `minLevel` are a shared no-op, so a
 * call that does not log costs one function call, as before pino.
 */
export function createLogger(
  minLevel: LogLevel = "info",
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  const json = pino(
    {
      level: minLevel,
      base: null,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => withoutBigints(fields) as Record<string, unknown>,
      },
    },
    destination,
  );
  const at = (level: LogLevel) =>
    levels.indexOf(level) < levels.indexOf(minLevel)
      ? noop
      : (message: string, fields?: Record<string, unknown>): void =>
          fields === undefined ? json[level](message) : json[level](fields, message);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
