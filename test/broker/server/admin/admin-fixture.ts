// What the admin listener's tests share: GET as JSON, an event-stream reader that keeps every frame
// it received, and a reader of Prometheus text that refuses any line it cannot parse.
import { get, type IncomingMessage } from "node:http";

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line's text (": ping"), for frames that are only a comment. */
  comment?: string;
}

export interface SseReader {
  frames: SseFrame[];
  /** The data of every `event: cluster` frame, parsed. */
  events<T = Record<string, unknown>>(): T[];
  response: IncomingMessage;
  close(): void;
}

/** Opens a stream and collects its frames as they come; resolves once the headers are in. */
export function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: "text/event-stream", ...headers } }, (response) => {
      const frames: SseFrame[] = [];
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      });
      response.on("error", () => {});
      resolve({
        frames,
        events: <T>() => frames.filter((f) => f.event === "cluster").map((f) => JSON.parse(f.data!) as T),
        response,
        close: () => request.destroy(),
      });
    });
    request.on("error", reject);
  });
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) frame.comment = line;
    else {
      const colon = line.indexOf(":");
      const field = line.slice(0, colon) as "id" | "event" | "data";
      frame[field] = line.slice(colon + 1).trimStart();
    }
  }
  return frame;
}

/** `name{label="v",...}` → value, labels sorted by name; throws on a line that is not Prometheus text. */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = sample.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, name, value]) => `${name}="${value}"`)
      .sort();
    const value = sampleValue(match[3]!);
    if (value === undefined) throw new Error(`not a number in: ${line}`);
    samples.set(labels.length === 0 ? match[1]! : `${match[1]}{${labels.join(",")}}`, value);
  }
  return samples;
}

/** A float as Go's ParseFloat reads it (so Prometheus does): NaN and Inf in any case, as prom-client writes "Nan". */
function sampleValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return Number.NaN;
  if (/^[+-]?inf$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}
