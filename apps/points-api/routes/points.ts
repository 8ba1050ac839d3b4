// POST /api/points/charge and /api/points/deduct, from a POS terminal with its key. Plain requests
// are served ahead of express by command-endpoint.ts; both take the command through acceptCommand.
import type { ServerResponse } from "node:http";
import { type RequestHandler, Router } from "express";
import { z } from "zod";
import { type CommandType, commandTypes } from "../../shared/topics.ts";
import { authenticatedTerminal, jsonBody, parseInput } from "../http.ts";
import { commandBodySchema, commandIdSchema, commandQuerySchema } from "../schemas.ts";
import type { CommandAccepted, CommandOutcome, SubmitCommand } from "../use-cases/submit-command.ts";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

const headersSchema = z.object({ [IDEMPOTENCY_KEY_HEADER]: commandIdSchema.optional() });

export interface CommandRequest {
  type: CommandType;
  /** The parsed JSON body, the query's parameters and the Idempotency-Key header, all unchecked. */
  body: unknown;
  query: unknown;
  idempotencyKey: string | undefined;
  /** The terminal its key proved (requireTerminal). */
  terminalId: string;
  /** The response, to learn that a waiting request's client went away. */
  res: ServerResponse;
}

export interface CommandAnswer {
  status: 200 | 202;
  /** The header to add: REPLAYED_HEADER when this answer is a replay. */
  headers: Record<string, string>;
  result: CommandAccepted | CommandOutcome;
}

/** Checks a command request's parts (400s with zod's messages) and submits it. */
export function commandAcceptor(submitCommand: SubmitCommand, maxAmount: number) {
  const bodySchema = commandBodySchema(maxAmount);
  return async function acceptCommand(request: CommandRequest): Promise<CommandAnswer> {
    const body = parseInput(bodySchema, request.body);
    const { wait } = parseInput(commandQuerySchema, request.query);
    const headers = parseInput(headersSchema, { [IDEMPOTENCY_KEY_HEADER]: request.idempotencyKey });
    // Only a waiting request needs to know that its client went away (and the signal costs).
    let clientGone: AbortController | undefined;
    if (wait) {
      clientGone = new AbortController();
      request.res.on("close", () => clientGone!.abort());
    }
    const { result, replayed } = await submitCommand({
      type: request.type,
      body,
      terminalId: request.terminalId,
      idempotencyKey: headers[IDEMPOTENCY_KEY_HEADER],
      waitMs: wait,
      signal: clientGone?.signal,
    });
    return {
      status: result.status === "accepted" ? 202 : 200,
      headers: replayed ? { [REPLAYED_HEADER]: "true" } : {},
      result,
    };
  };
}

export type AcceptCommand = ReturnType<typeof commandAcceptor>;

/** `terminalOnly` is requireTerminal (http.ts): a command comes from a terminal that proved it with its key. */
export function pointsRoutes(acceptCommand: AcceptCommand, terminalOnly: RequestHandler): Router {
  const router = Router();
  for (const type of commandTypes) {
    router.post(`/points/${type}`, terminalOnly, ...jsonBody, async (req, res) => {
      const answer = await acceptCommand({
        type,
        body: req.body,
        query: req.query,
        idempotencyKey: req.get(IDEMPOTENCY_KEY_HEADER),
        terminalId: authenticatedTerminal(res),
        res,
      });
      res.status(answer.status).set(answer.headers).json(answer.result);
    });
  }
  return router;
}
