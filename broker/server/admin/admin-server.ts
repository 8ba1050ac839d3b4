// The broker's admin HTTP listener (`--admin-port`, loopback by default, like Redpanda's admin
// API): the state of this broker as JSON, its event journal as Server-Sent Events, and its
// Prometheus metrics. Read-only: GET only; anything else, or an unknown path, answers a JSON error.
//
//   GET /v1/broker           BrokerInfo          GET /v1/events          Server-Sent Events
//   GET /v1/partitions       HostedPartition[]   GET /v1/events/history  ClusterEvent[] (?after=)
//   GET /v1/groups           CoordinatedGroup[]  GET /metrics            Prometheus text
//   GET /v1/quorum           QuorumInfo
//
// It listens from before the broker is unfenced, so a broker waiting for its controller can be
// looked at; until the broker's state exists the state routes answer 503.
//
// Ownership: an AdminServer owns its HTTP server and the event streams it serves, which stop()
// ends so that the server closes at once.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { BrokerState } from "../broker-state.ts";
import { beyondLoopbackWarning } from "../exposure.ts";
import type { Logger } from "../logger.ts";
import type { BrokerMetrics } from "./broker-metrics.ts";
import type { EventJournal } from "./cluster-events.ts";
import { type BrokerIdentity, brokerInfo, hostedPartitions, quorumInfo } from "./cluster-views.ts";
import { type EventStreamOptions, resumeAfter, streamEvents } from "./event-stream.ts";
import { coordinatedGroups } from "./group-views.ts";

export interface AdminServerOptions {
  host: string;
  port: number;
  /** The broker's state once built. */
  state: () => BrokerState | undefined;
  identity: () => BrokerIdentity;
  events: EventJournal;
  metrics: BrokerMetrics;
  log: Logger;
  stream?: EventStreamOptions;
}

const stateRoutes: Record<string, (state: BrokerState, identity: () => BrokerIdentity) => unknown> = {
  "/v1/broker": (state, identity) => brokerInfo(state, identity()),
  "/v1/partitions": (state) => hostedPartitions(state),
  "/v1/groups": (state) => coordinatedGroups(state.groups),
  "/v1/quorum": (state) => quorumInfo(state),
};

export class AdminServer {
  readonly #server: Server;
  readonly #streams = new Set<() => void>();

  constructor(private readonly options: AdminServerOptions) {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        options.log.warn("admin request failed", { url: request.url, error: message });
        if (!response.headersSent) sendJson(response, 500, { error: message });
        else response.end();
      });
    });
  }

  /** Resolves with the bound address (port 0 takes a free one). */
  start(): Promise<{ host: string; port: number }> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        const bound = server.address();
        if (bound === null || typeof bound === "string") return reject(new Error("no TCP address"));
        const exposed = beyondLoopbackWarning("the admin listener", this.options.host, bound.port);
        if (exposed !== null) this.options.log.warn(exposed, { host: this.options.host, port: bound.port });
        resolve({ host: this.options.host, port: bound.port });
      });
    });
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const end of this.#streams) end();
    this.#server.closeIdleConnections();
    await closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://admin");
    if (request.method !== "GET")
      return sendJson(response, 405, { error: `${request.method} not allowed: the admin listener is read-only` });
    if (url.pathname === "/metrics") {
      const { contentType, text } = await this.options.metrics.scrape();
      response.writeHead(200, { "content-type": contentType });
      response.end(text);
      return;
    }
    if (url.pathname === "/v1/events/history")
      return sendJson(response, 200, this.options.events.history(url.searchParams.get("after") ?? undefined));
    if (url.pathname === "/v1/events") {
      const end = streamEvents(this.options.events, request, response, resumeAfter(request, url), this.options.stream);
      this.#streams.add(end);
      response.on("close", () => this.#streams.delete(end));
      return;
    }
    const route = stateRoutes[url.pathname];
    if (route === undefined) return sendJson(response, 404, { error: `no route ${url.pathname}` });
    const state = this.options.state();
    if (state === undefined) return sendJson(response, 503, { error: "the broker is starting" });
    sendJson(response, 200, await route(state, this.options.identity));
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}
