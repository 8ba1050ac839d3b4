// Progress of long work: on a terminal, a bar redrawn in place by cli-progress (at most every
// 100 ms); otherwise plain lines at every new tenth and one at the end, so logs in CI stay
// readable. Both show the line formatProgress defines. Each Progress owns its own counters.
import { SingleBar } from "cli-progress";

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
  if (stream.isTTY === true) {
    const bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      fps: 10,
      format: (_options, params) => formatProgress(label, params.value, params.total, now() - started),
    });
    bar.start(total, 0);
    return { tick: (done) => bar.update(done), finish: () => bar.stop() };
  }
  let lastDecile = -1;
  let done = 0;
  const line = () => `${formatProgress(label, done, total, now() - started)}\n`;
  return {
    tick(value) {
      done = value;
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        stream.write(line());
      }
    },
    finish() {
      stream.write(line());
    },
  };
}
