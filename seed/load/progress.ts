// Progress of long work: a bar redrawn in place on a terminal, plain lines (every 10 %) otherwise,
// so logs in CI stay readable.
export interface Progress {
  tick(done: number): void;
  finish(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream | { isTTY?: boolean; write(text: string): unknown };
  now?: () => number;
}

export function formatProgress(label: string, done: number, total: number, elapsedMs: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const rate = elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
  return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${total} ${rate}/s ${(elapsedMs / 1000).toFixed(1)}s`;
}

export function createProgress({ label, total, stream = process.stderr, now = Date.now }: ProgressOptions): Progress {
  const started = now();
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastDecile = -1;
  let done = 0;
  const draw = (final: boolean) => {
    const line = formatProgress(label, done, total, now() - started);
    if (tty) stream.write(`\r${line}${final ? "\n" : ""}`);
    else stream.write(`${line}\n`);
  };
  return {
    tick(value) {
      done = value;
      if (tty) {
        if (now() - lastDraw >= 100) {
          lastDraw = now();
          draw(false);
        }
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}
