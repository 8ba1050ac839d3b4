// The command-line tools (svc, seed, load, lab)' shared edges: a one-line error and exit code 2 for bad usage, and
// integer options checked with the option's name in the message.
export interface Cli {
  fail(message: string): never;
  /** `--name`'s value as an integer >= min, `fallback` when absent. */
  integer(name: string, raw: string | undefined, fallback: number, min?: number): number;
}

export function cli(program: string): Cli {
  const fail = (message: string): never => {
    console.error(`${program}: ${message}`);
    process.exit(2);
  };
  return {
    fail,
    integer(name, raw, fallback, min = 1) {
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min) fail(`--${name} must be an integer >= ${min} (got "${raw}")`);
      return value;
    },
  };
}
