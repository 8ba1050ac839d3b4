// POST /api/points/charge and /deduct served on node:http, ahead of express: at 3,000 commands/s
// express's layers (router, body parser, response helpers) cost points-api about a third of its CPU
// per command (the cost suite: ~205 → 160–180 µs). Only the plain request takes this path: no query
// string, a JSON body in UTF-8 with its Content-Length and no Content-Encoding. Every other one goes
// on to express's route (routes/points.ts), so what the API answers to unusual requests is defined
// once, there; what both paths do with a command is acceptCommand's, and their errors are
// errorAnswer's.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppLog } from "../shared/log.ts";
import { type CommandType, commandTypes } from "../shared/topics.ts";
import {
  type AheadOfExpress,
  bearerCredentials,
  errorAnswer,
  invalidJsonBody,
  MAX_BODY_BYTES,
  requestAborted,
  requestSizeMismatch,
} from "./http.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { AcceptCommand } from "./routes/points.ts";
import type { AuthenticateTerminal } from "./use-cases/authenticate-terminal.ts";

export interface CommandEndpointDeps {
  acceptCommand: AcceptCommand;
  authenticate: AuthenticateTerminal;
  metrics: Pick<ApiMetrics, "startRequest">;
  log: AppLog;
}

/** The command type by the path asked for, which is also the route express names in the metrics. */
const ROUTES = new Map<string, CommandType>(commandTypes.map((type) => [`/api/points/${type}`, type]));
const PLAIN_JSON = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
// body-parser's strict mode: a JSON body is an object or an array.
const FIRST_CHARACTER = /^[ \t\n\r]*(.)/;

export function commandEndpoint({ acceptCommand, authenticate, metrics, log }: CommandEndpointDeps): AheadOfExpress {
  async function serve(req: IncomingMessage, res: ServerResponse, type: CommandType, length: number) {
    try {
      // As requireTerminal does: the key is checked before the body is read.
      const terminalId = await authenticate(bearerCredentials(req.headers.authorization));
      const body = await readJson(req, length);
      const answer = await acceptCommand({
        type,
        body,
        query: {},
        // A string: node joins a repeated header of this kind with ", ", as req.get() shows it.
        idempotencyKey: req.headers["idempotency-key"] as string | undefined,
        terminalId,
        res,
      });
      sendJson(res, answer.status, answer.headers, answer.result);
    } catch (error) {
      const answer = errorAnswer(error, log, req.method ?? "POST", req.url ?? "");
      sendJson(res, answer.status, answer.headers, answer.body);
    }
  }

  return (req, res) => {
    if (req.method !== "POST") return false;
    const route = req.url ?? "";
    const type = ROUTES.get(route);
    if (type === undefined) return false;
    const { headers } = req;
    if (headers["content-encoding"] !== undefined || !PLAIN_JSON.test(headers["content-type"] ?? "")) return false;
    const length = Number(headers["content-length"]);
    if (!(length > 0 && length <= MAX_BODY_BYTES)) return false;
    const answered = metrics.startRequest("POST", route);
    res.once("finish", () => answered(res.statusCode));
    void serve(req, res, type, length);
    return true;
  };
}

/** The body, `length` bytes (node's parser stops at Content-Length), as JSON. */
function readJson(req: IncomingMessage, length: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Gone while its key was checked: its 'close' has come and gone.
    if (req.destroyed && !req.complete) {
      reject(requestAborted());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    // A client gone before the end: node says so by 'error' or only by 'close'. 'close' comes after
    // every complete body too, once 'end' settled the promise: no error is built then (its stack
    // trace was 7 % of the service's busy samples in a CPU profile at 1,000 commands/s).
    req.on("error", () => reject(requestAborted()));
    req.on("close", () => {
      if (!req.complete) reject(requestAborted());
    });
    req.on("end", () => {
      if (received !== length) {
        reject(requestSizeMismatch());
        return;
      }
      const text = Buffer.concat(chunks, received).toString("utf8");
      const first = FIRST_CHARACTER.exec(text)?.[1];
      if (first !== "{" && first !== "[") {
        reject(invalidJsonBody());
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(invalidJsonBody());
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(json)),
  });
  res.end(json);
}
