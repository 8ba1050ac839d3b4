// Drives a workload into the system: through the HTTP API as POS terminals would (the default), or
// straight to points.commands with a producer (--direct) for rates HTTP cannot reach. Either way a
// user's commands are issued one after another in seq order: the next one only once the previous
// one was accepted, which is what "the order the user means" is.
import { Pool } from "undici";
import { loadConfig } from "../../apps/shared/config.ts";
import { bearer, readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { COMMANDS_TOPIC, type PointsCommand } from "../../apps/shared/topics.ts";
import { createKafka } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import type { IssuedCommand } from "./workload.ts";

/** When the generator issued a command and when the system accepted it (ms since the epoch). */
export interface IssueRecord {
  commandId: string;
  issuedAt: number;
  acceptedAt: number;
  /** HTTP status, or 0 for a direct produce. */
  status: number;
}

export interface DriveOptions {
  /** Commands per second across all workers; 0 or undefined = as fast as it goes. */
  rate?: number;
  /** Concurrent requests (HTTP) or sends in flight (direct). */
  concurrency: number;
  onProgress?: (done: number) => void;
  /** Once aborted, no further command is issued (those in flight finish): a run bounded by time or by events. */
  until?: AbortSignal;
}

/** Hands out permission to issue at `rate` per second (a token bucket refilled continuously). */
function createPacer(rate: number | undefined): () => Promise<void> {
  if (!rate || rate <= 0) return async () => {};
  const interval = 1000 / rate;
  let next = performance.now();
  return async () => {
    const now = performance.now();
    next = Math.max(next + interval, now - 50);
    const wait = next - now;
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

/** Splits commands into `n` lanes by user, keeping the global order within each lane. */
function lanesByUser(commands: IssuedCommand[], n: number): IssuedCommand[][] {
  const lanes: IssuedCommand[][] = Array.from({ length: n }, () => []);
  const laneOf = new Map<string, number>();
  for (const command of commands) {
    let lane = laneOf.get(command.userId);
    if (lane === undefined) laneOf.set(command.userId, (lane = laneOf.size % n));
    lanes[lane]!.push(command);
  }
  return lanes;
}

async function postJson(
  pool: Pool,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const response = await pool.request({
    method: "POST",
    path,
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

export class DriveError extends Error {}

export interface HttpDriveOptions extends DriveOptions {
  /**
   * The terminals' keys by terminal id (see apps/shared/terminal-keys.ts): each command carries its
   * terminal's, as a POS does (one without a key here goes without, and points-api answers 401,
   * which ends the drive). Default: the demo terminals' keys in DATA_DIR, as `npm start` made them.
   */
  terminalKeys?: Record<string, string>;
}

/**
 * POST /api/points/{charge|deduct} with Idempotency-Key = commandId and the terminal's key; a 5xx
 * or network error is retried with the same key.
 */
export async function driveHttp(
  baseUrl: string,
  commands: IssuedCommand[],
  options: HttpDriveOptions,
): Promise<IssueRecord[]> {
  const terminalKeys = options.terminalKeys ?? readTerminalKeys(loadConfig().dataDir);
  const authorizationOf = (terminalId: string): Record<string, string> => {
    const key = terminalKeys[terminalId];
    return key === undefined ? {} : { authorization: bearer(key) };
  };
  // undici's pool: keep-alive connections, one per lane, and less CPU per request than node:http's
  // client (the generator shares the machine with what it measures).
  const pool = new Pool(baseUrl, { connections: options.concurrency });
  const pace = createPacer(options.rate);
  const records: IssueRecord[] = [];
  let done = 0;
  const lane = async (own: IssuedCommand[]) => {
    for (const command of own) {
      await pace();
      if (options.until?.aborted) return;
      const issuedAt = Date.now();
      const path = `/api/points/${command.type}`;
      const body = JSON.stringify({
        userId: command.userId,
        amount: command.amount,
        storeId: command.storeId,
        terminalId: command.terminalId,
      });
      const headers = { "idempotency-key": command.commandId, ...authorizationOf(command.terminalId) };
      for (let attempt = 1; ; attempt++) {
        let response: { status: number; body: string } | undefined;
        try {
          response = await postJson(pool, path, body, headers);
        } catch (error) {
          if (attempt >= 5) throw new DriveError(`${command.commandId}: ${(error as Error).message}`);
        }
        if (response && response.status < 500) {
          if (response.status !== 202 && response.status !== 200)
            throw new DriveError(`${command.commandId}: HTTP ${response.status} ${response.body}`);
          records.push({ commandId: command.commandId, issuedAt, acceptedAt: Date.now(), status: response.status });
          break;
        }
        if (attempt >= 5)
          throw new DriveError(`${command.commandId}: HTTP ${response?.status} after ${attempt} attempts`);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
      options.onProgress?.(++done);
    }
  };
  try {
    await Promise.all(lanesByUser(commands, options.concurrency).map(lane));
  } finally {
    await pool.close();
  }
  return records;
}

/** Produces the commands to points.commands, keyed by userId or (keyed false) without a key. */
export async function driveDirect(
  brokers: string[],
  commands: IssuedCommand[],
  options: DriveOptions & { keyed: boolean; chunk?: number },
): Promise<IssueRecord[]> {
  const kafka = await createKafka({ clientId: "load-generator", brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const chunk = options.chunk ?? 500;
  const pace = createPacer(options.rate ? options.rate / chunk : undefined);
  const records: IssueRecord[] = [];
  let done = 0;
  let next = 0;
  try {
    // Chunks go out in order from one idempotent producer: within a partition, order is kept.
    const inFlight = new Set<Promise<void>>();
    while (next < commands.length) {
      await pace();
      if (options.until?.aborted) break;
      const slice = commands.slice(next, next + chunk);
      next += slice.length;
      const issuedAt = Date.now();
      const messages = slice.map((command) => {
        const value: PointsCommand = {
          commandId: command.commandId,
          type: command.type,
          userId: command.userId,
          amount: command.amount,
          storeId: command.storeId,
          terminalId: command.terminalId,
          issuedAt: new Date(issuedAt).toISOString(),
        };
        return { key: options.keyed ? command.userId : null, value: JSON.stringify(value) };
      });
      const sent: Promise<void> = producer.send({ topic: COMMANDS_TOPIC, acks: -1, messages }).then(() => {
        const acceptedAt = Date.now();
        for (const command of slice) records.push({ commandId: command.commandId, issuedAt, acceptedAt, status: 0 });
        done += slice.length;
        options.onProgress?.(done);
      });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent)).catch(() => {});
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return records;
}
