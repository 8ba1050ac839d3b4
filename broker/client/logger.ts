// kafkajs's logging contract: numeric levels, and a logCreator(level) that returns the function
// receiving every entry, so an app's existing logCreator works unchanged.
export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;
export type LogLevel = (typeof logLevel)[keyof typeof logLevel];
/** kafkajs's `logLevel` is an enum, usable as a type too. */
export type logLevel = LogLevel;

export interface LogEntry {
  namespace: string;
  level: LogLevel;
  label: string;
  log: { timestamp: string; message: string; [key: string]: unknown };
}

export type logCreator = (logLevel: LogLevel) => (entry: LogEntry) => void;

export interface Logger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, logLevel?: LogLevel): Logger;
  setLogLevel(logLevel: LogLevel): void;
}

const labels: Record<number, string> = { 1: "ERROR", 2: "WARN", 4: "INFO", 5: "DEBUG" };

export const defaultLogCreator: logCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const line = JSON.stringify({ level: label, ...log, logger: "kafka-client", namespace }, (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    if (level <= logLevel.WARN) console.error(line);
    else console.log(line);
  };

export function createLogger(level: LogLevel = logLevel.INFO, creator: logCreator = defaultLogCreator): Logger {
  const state = { level };
  const write = creator(level);
  const build = (namespace: string, ownLevel?: LogLevel): Logger => {
    const emit =
      (entryLevel: LogLevel) =>
      (message: string, extra: object = {}): void => {
        if (entryLevel > (ownLevel ?? state.level)) return;
        write({
          namespace,
          level: entryLevel,
          label: labels[entryLevel]!,
          log: { timestamp: new Date().toISOString(), message, ...extra },
        });
      };
    return {
      error: emit(logLevel.ERROR),
      warn: emit(logLevel.WARN),
      info: emit(logLevel.INFO),
      debug: emit(logLevel.DEBUG),
      namespace: (child, childLevel) => build(namespace ? `${namespace}:${child}` : child, childLevel ?? ownLevel),
      setLogLevel: (newLevel) => {
        state.level = newLevel;
      },
    };
  };
  return build("");
}
