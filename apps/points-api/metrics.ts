// points-api's Prometheus metrics, served at GET /metrics: the duration of every API request by
// route and status (points_api_request_duration_seconds), and the commands it took or refused
// (points_api_commands_total: accepted when answered 2xx — queued or applied, whatever the ledger
// then decided — refused otherwise: no or a wrong terminal key, bad input, unknown user, broker
// unavailable). Routes are
// labelled by their pattern (`/api/users/:userId/balance`), never by the URL asked for, so that the
// labels stay few; a request no route matched is "unmatched".
//
// Owner of mutable state: the metrics in the registry given.
import type { Request, RequestHandler } from "express";
import { Counter, type Registry } from "prom-client";
import { secondsHistogram } from "../shared/metrics.ts";

/** POSTs to these routes are commands (points.ts). */
const COMMAND_ROUTE = /\/points\/[^/]+$/;

export interface ApiMetrics {
  /** Mount where the API's routes are, e.g. app.use("/api", metrics.recordRequests). */
  recordRequests: RequestHandler;
  /** For a request served outside express: call the result with the status once it is answered. */
  startRequest(method: string, route: string): (statusCode: number) => void;
  /** GET /metrics: the registry as Prometheus text. */
  serve: RequestHandler;
}

export function apiMetrics(registry: Registry): ApiMetrics {
  const duration = secondsHistogram(
    registry,
    "points_api_request_duration_seconds",
    "Time from a request's arrival to its response's end, by method, route pattern and status",
    ["method", "route", "status"],
  );
  const commands = new Counter({
    name: "points_api_commands_total",
    help: "Commands submitted to points-api, by route, status and outcome (accepted: 2xx, refused: anything else)",
    labelNames: ["route", "status", "outcome"],
    registers: [registry],
  });

  type Stop = ReturnType<typeof duration.startTimer>;
  const record = (stop: Stop, method: string, route: string, statusCode: number) => {
    const status = String(statusCode);
    stop({ method, route, status });
    if (method === "POST" && COMMAND_ROUTE.test(route))
      commands.inc({ route, status, outcome: statusCode < 300 ? "accepted" : "refused" });
  };

  const startRequest = (method: string, route: string) => {
    const stop = duration.startTimer();
    return (statusCode: number) => record(stop, method, route, statusCode);
  };

  const recordRequests: RequestHandler = (req, res, next) => {
    // The mount point as seen now: an error leaving the router resets req.baseUrl before the answer.
    const base = req.baseUrl;
    const stop = duration.startTimer();
    res.once("finish", () => record(stop, req.method, routeOf(req, base), res.statusCode));
    next();
  };

  const serve: RequestHandler = (_req, res, next) => {
    registry.metrics().then((text) => {
      res.type(registry.contentType).send(text);
    }, next);
  };

  return { recordRequests, startRequest, serve };
}

function routeOf(req: Request, base: string): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === "string" ? `${base}${pattern}` : "unmatched";
}
