// The command-line tools' shared edges (start, svc, seed, load, lab, verify, new:service, bench):
// a commander program whose `--help` exits 0 and whose bad usage is one line `<cli>: <what is
// wrong>` on stderr and exit code 2, and integer options checked with the option's name in the
// message. (The broker, below apps/, configures its own in broker/server/config.ts.)
import { Command } from "commander";

/** Exit code for bad usage, as the CLIs promise. */
export const usageExitCode = 2;

/** commander's messages start with "error: " and may carry a second line (a suggestion): one line. */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, "")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

export function createCli(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (message, write) => write(`${name}: ${oneLine(message)}\n`) })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : usageExitCode));
}

/** Bad usage found after parsing: the same one line and exit code 2. */
export function usageError(program: Command, message: string): never {
  return program.error(message, { exitCode: usageExitCode });
}

/**
 * A parser for an integer option `--name` >= min; anything else is bad usage:
 * `<cli>: --name must be an integer >= min (got "raw")`.
 */
export function integerOption(program: Command, name: string, min = 1): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      usageError(program, `--${name} must be an integer >= ${min} (got "${raw}")`);
    return value;
  };
}

/** The environment every service and tool reads (apps/shared/config.ts), for `--help`. */
export const environmentHelp = `
Environment:
  DATA_DIR           all state: the broker's logs, the SQLite files (default: ./data)
  DATABASE_URL       points-api's SQLite file; the other services' sit beside it
                     (default: file:DATA_DIR/points.db)
  KAFKA_BROKERS      bootstrap brokers, comma-separated (default: 127.0.0.1:BROKER_PORT)
  BROKER_PORT        the bundled broker's port (default: 9092)
  PORT               points-api's port (default: 3000)
  HOST               the address points-api, the console and the services' metrics listen on
                     (default: 127.0.0.1; any other is reachable from other machines, and logged so)
  POINTS_PARTITIONS  partitions of points.commands and points.events (default: 6)
  LOG_FORMAT=json    services log JSON lines instead of "[service] message" lines`;
