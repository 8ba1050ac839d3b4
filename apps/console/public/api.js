// What every view shares: the console API's JSON calls (its error body turned into an Error with the
// server's message), HTML escaping and the formats of numbers, sizes, times and durations.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(path, response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? `${path}: HTTP ${response.status}`);
  return body;
}

export async function getJson(path) {
  return answer(path, await fetch(path, { headers: { accept: "application/json" } }));
}

/** POSTs JSON with the console token in x-console-token (fault controls). */
export async function postJson(path, body, token) {
  const headers = { accept: "application/json", "content-type": "application/json" };
  if (token) headers["x-console-token"] = token;
  return answer(path, await fetch(path, { method: "POST", headers, body: JSON.stringify(body ?? {}) }));
}

export const query = (params) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString();

/** Escapes text for innerHTML, text nodes and attribute values alike. */
export const esc = (value) =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

export const $ = (id) => document.getElementById(id);

const integer = new Intl.NumberFormat("en-US");
export const num = (value) =>
  value === null || value === undefined || value === "" ? "—" : integer.format(Number(value));

export function bytes(value) {
  const n = Number(value ?? 0);
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let size = n / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(size < 10 ? 1 : 0)} ${units[unit]}`;
}

/** 75 → "1m 15s"; null → "—". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return "—";
  const s = Number(seconds);
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Kafka configs in milliseconds or bytes, as a person reads them ("-1" stays "unlimited"). */
export function configValue(key, value) {
  if (value === "-1") return "unlimited";
  if (key.endsWith(".ms") && /^\d+$/.test(value)) return `${value} (${duration(Number(value) / 1000)})`;
  if (key.endsWith(".bytes") && /^\d+$/.test(value)) return `${value} (${bytes(value)})`;
  return value;
}

// Times arrive as epoch milliseconds, as numbers or (64-bit, from Kafka records) as decimal strings.
export const clock = (ms) => new Date(Number(ms)).toLocaleTimeString("en-GB", { hour12: false });
export const clockMs = (ms) => `${clock(ms)}.${String(new Date(Number(ms)).getMilliseconds()).padStart(3, "0")}`;
export const dateTime = (ms) => `${new Date(Number(ms)).toLocaleDateString("en-CA")} ${clockMs(ms)}`;

/** The last characters of a long generated member id, enough to tell members apart. */
export const suffix = (memberId, length = 6) => (memberId ? String(memberId).slice(-length) : "");

/** Runs `task` now and every `ms` while `active()` holds, never two at once; returns a stop function. */
export function every(ms, task, active = () => true) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    if (active()) await task().catch(() => {});
    if (!stopped) timer = setTimeout(run, ms);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
