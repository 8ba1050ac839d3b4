// Prometheus metrics of a service process (prom-client): one Registry per process, holding the
// Node process's default metrics and the service's own, named `points_…` after Prometheus's
// conventions (`_total` for counters, `_seconds` for durations). A consumer service serves them
// on a small HTTP listener of its own (startMetricsServer), on METRICS_PORT: unset or 0, a free
// port, announced as one line `metrics: http://127.0.0.1:PORT/metrics` (HOST, when set, instead of
// 127.0.0.1), so that several instances of a service never clash; "off" serves none. points-api serves its registry at its own /metrics.
//
// Owner of mutable state: each registry owns its metrics; a metrics server owns its listener.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { ConfigError } from "./config.ts";
import { warnIfBeyondLoopback } from "./exposure.ts";
import type { AppLog } from "./log.ts";

/** A fresh registry for one process, with Node's default metrics and a `service` label on everything. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Records per batch: from one record up to a fetch of thousands. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
/** Seconds: from a sub-millisecond handler to a stalled one. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the consumer-service frame records of every batch it hands to a service. */
export interface BatchMetrics {
  batches: Counter<"topic">;
  batchRecords: Histogram<"topic">;
  handleSeconds: Histogram<"topic" | "result">;
}

export function batchMetrics(registry: Registry): BatchMetrics {
  return {
    batches: new Counter({
      name: "points_consumer_batches_total",
      help: "Fetched batches handed to the service's handleBatch",
      labelNames: ["topic"],
      registers: [registry],
    }),
    batchRecords: new Histogram({
      name: "points_consumer_batch_records",
      help: "Records per batch handed to handleBatch",
      labelNames: ["topic"],
      buckets: BATCH_SIZE_BUCKETS,
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: "points_consumer_handle_batch_seconds",
      help: "Time handleBatch took per batch, by result (ok or error)",
      labelNames: ["topic", "result"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

/** A histogram of seconds with the services' buckets (for a service's own timings). */
export function secondsHistogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Histogram<L> {
  return new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS, registers: [registry] });
}

/** The metrics port from METRICS_PORT: 0 (a free port) when unset, null for "off". */
export function metricsPortFrom(env: NodeJS.ProcessEnv): number | null {
  const raw = env.METRICS_PORT;
  if (raw === undefined || raw === "") return 0;
  if (raw === "off") return null;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`METRICS_PORT must be a port number, 0 for a free one, or "off" (got "${raw}")`);
  return port;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `registry` at http://HOST:PORT/metrics (HOST: loopback unless told) and announces it in one log line. */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  log: AppLog,
  host = "127.0.0.1",
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => {
        log.error("collecting metrics failed", error);
        res.writeHead(500, { "content-type": "text/plain" }).end("collecting metrics failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`;
  log.info(`metrics: ${url}`);
  warnIfBeyondLoopback(log, "metrics", host, bound);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
