// The HTTP edge shared by every route: input validation into AppErrors, the JSON body parser with
// its limits, the terminal's key in the Authorization header for the routes only a POS terminal may
// use, and the one error handler that turns anything thrown into the API's error shape:
//   { "error": { "code", "message", "issues"?: [{ "path", "message" }] } }
import { createServer, IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { AppError } from "../shared/errors.ts";
import type { AppLog } from "../shared/log.ts";

export const MAX_BODY_BYTES = 16 * 1024;
/** The protection space of the terminals' keys, named in a 401's challenge. */
export const TERMINALS_REALM = "points-api terminals";

/** Answers a request itself and says true, or says false and leaves it untouched to express. */
export type AheadOfExpress = (req: IncomingMessage, res: ServerResponse) => boolean;

const aheadOfExpress = new WeakMap<Express, AheadOfExpress>();

/**
 * Lets `handler` see every request of `app`'s server before express does: for a hot route whose
 * plain requests cost too much CPU in express's layers (command-endpoint.ts). Call it before
 * createAppServer, which looks the handler up once (createApp does).
 */
export function serveAheadOfExpress(app: Express, handler: AheadOfExpress): void {
  aheadOfExpress.set(app, handler);
}

/**
 * An HTTP server for an express app whose requests and responses are born with the app's
 * prototypes. Express otherwise swaps the prototype of every request and response it handles
 * (Object.setPrototypeOf), and V8 then no longer recognises their shape in node's own HTTP code:
 * measured here, a bare POST route served 4,900 requests/s that way and 12,400/s with the prototypes
 * set at birth (express then finds them in place and leaves them alone).
 */
export function createAppServer(app: Express): Server {
  const ahead = aheadOfExpress.get(app);
  function AppRequest(this: IncomingMessage, socket: Socket) {
    (IncomingMessage as unknown as (this: IncomingMessage, socket: Socket) => void).call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options: unknown) {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options: unknown) => void).call(
      this,
      req,
      options,
    );
  }
  AppResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    ahead === undefined
      ? app
      : (req, res) => {
          if (!ahead(req, res)) app(req, res);
        },
  );
}

export interface Issue {
  path: string;
  message: string;
}

/** Parses `value` with `schema`, or throws a 400 whose message lists every field's problem ("amount: Too small: ..."). */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: Issue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const message = issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ");
  throw AppError.badRequest(message, issues);
}

// By the header alone: req.is() says null for an empty body, which deserves a 400, not a 415.
const jsonContentType = /^application\/json\s*(;|$)/i;

const requireJsonContentType: RequestHandler = (req, _res, next) => {
  if (!jsonContentType.test(req.get("content-type") ?? ""))
    throw new AppError(415, "unsupported_media_type", "Content-Type must be application/json");
  next();
};

/** For routes that take a body: JSON only, at most MAX_BODY_BYTES. */
export const jsonBody: RequestHandler[] = [requireJsonContentType, express.json({ limit: MAX_BODY_BYTES })];

/** The credentials of `Authorization: Bearer <credentials>`, or undefined without them. */
export function bearerCredentials(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return match?.[1];
}

/**
 * For routes only a POS terminal may use: the terminal the request's key belongs to goes in
 * res.locals.terminalId (see authenticatedTerminal), before the body is even read; otherwise a 401.
 */
export function requireTerminal(authenticate: (key: string | undefined) => Promise<string>): RequestHandler {
  return async (req, res, next) => {
    res.locals.terminalId = await authenticate(bearerCredentials(req.get("authorization")));
    next();
  };
}

/** The terminal requireTerminal authenticated for this request. */
export function authenticatedTerminal(res: Response): string {
  const terminalId: unknown = res.locals.terminalId;
  if (typeof terminalId !== "string") throw new Error("route without requireTerminal");
  return terminalId;
}

export const unknownRoute: RequestHandler = (req) => {
  throw AppError.notFound(`no route for ${req.method} ${req.originalUrl.split("?")[0]}`);
};

/** A body that is not JSON, or not an object or array (body-parser's strict mode). */
export const invalidJsonBody = (): AppError => AppError.badRequest("invalid JSON body");
/** The body ended before its Content-Length, as body-parser says it. */
export const requestSizeMismatch = (): AppError => AppError.badRequest("request size did not match content length");
/** The client went away while sending the body, as body-parser says it. */
export const requestAborted = (): AppError => AppError.badRequest("request aborted");

/** body-parser's errors carry `type` and a 4xx `status`. */
function bodyParserError(error: unknown): AppError | undefined {
  if (typeof error !== "object" || error === null || !("type" in error) || typeof error.type !== "string")
    return undefined;
  switch (error.type) {
    case "entity.parse.failed":
      return invalidJsonBody();
    case "entity.too.large":
      return new AppError(413, "payload_too_large", `request body larger than ${MAX_BODY_BYTES / 1024} kB`);
    case "charset.unsupported":
    case "encoding.unsupported":
      return new AppError(
        415,
        "unsupported_media_type",
        error instanceof Error ? error.message : "unsupported body encoding",
      );
    default: {
      const status =
        "status" in error && typeof error.status === "number" && error.status >= 400 && error.status < 500
          ? error.status
          : 400;
      return new AppError(status, "bad_request", error instanceof Error ? error.message : "bad request body");
    }
  }
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; issues?: Issue[] } };
}

/** The answer to anything thrown while serving `method url`; 5xx are logged. */
export function errorAnswer(error: unknown, log: AppLog, method: string, url: string): ErrorAnswer {
  const appError = error instanceof AppError ? error : bodyParserError(error);
  if (appError === undefined) {
    log.error(`${method} ${url} failed`, error);
    return { status: 500, headers: {}, body: { error: { code: "internal", message: "internal error" } } };
  }
  if (appError.status >= 500) log.error(`${method} ${url} answered ${appError.status}`, appError.cause ?? appError);
  const issues = Array.isArray(appError.details) ? { issues: appError.details as Issue[] } : {};
  // A 401 names the scheme the credentials go in (RFC 9110); Bearer, so browsers prompt for nothing.
  const headers: Record<string, string> =
    appError.status === 401 ? { "WWW-Authenticate": `Bearer realm="${TERMINALS_REALM}"` } : {};
  return {
    status: appError.status,
    headers,
    body: { error: { code: appError.code, message: appError.message, ...issues } },
  };
}

export function errorHandler(log: AppLog): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = errorAnswer(error, log, req.method, req.originalUrl);
    res.status(answer.status).set(answer.headers).json(answer.body);
  };
}
