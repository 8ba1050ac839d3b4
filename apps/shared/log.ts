// Services print one human-readable line per event on stdout, prefixed with the service name, so
// `npm start` can interleave every service's output and still tell who said what.
export interface AppLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export function createLog(
  service: string,
  write: (line: string) => void = (line) => process.stdout.write(line),
): AppLog {
  const line = (message: string) => write(`[${service}] ${message}\n`);
  return {
    info: line,
    error: (message, error) =>
      line(error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`),
  };
}
