// POST /api/points/charge and /api/points/deduct, from a POS terminal with its key.
import { type RequestHandler, Router } from "express";
import { z } from "zod";
import { commandTypes } from "../../shared/topics.ts";
import { authenticatedTerminal, jsonBody, parseInput } from "../http.ts";
import { commandBodySchema, commandIdSchema, commandQuerySchema } from "../schemas.ts";
import type { SubmitCommand } from "../use-cases/submit-command.ts";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

const headersSchema = z.object({ [IDEMPOTENCY_KEY_HEADER]: commandIdSchema.optional() });

/** `terminalOnly` is requireTerminal (http.ts): a command comes from a terminal that proved it with its key. */
export function pointsRoutes(submitCommand: SubmitCommand, maxAmount: number, terminalOnly: RequestHandler): Router {
  const router = Router();
  const bodySchema = commandBodySchema(maxAmount);
  for (const type of commandTypes) {
    router.post(`/points/${type}`, terminalOnly, ...jsonBody, async (req, res) => {
      const body = parseInput(bodySchema, req.body);
      const { wait } = parseInput(commandQuerySchema, req.query);
      const headers = parseInput(headersSchema, { [IDEMPOTENCY_KEY_HEADER]: req.get(IDEMPOTENCY_KEY_HEADER) });
      // Only a waiting request needs to know that its client went away (and the signal costs).
      let clientGone: AbortController | undefined;
      if (wait) {
        clientGone = new AbortController();
        res.on("close", () => clientGone!.abort());
      }
      const { result, replayed } = await submitCommand({
        type,
        body,
        terminalId: authenticatedTerminal(res),
        idempotencyKey: headers[IDEMPOTENCY_KEY_HEADER],
        waitMs: wait,
        signal: clientGone?.signal,
      });
      if (replayed) res.set(REPLAYED_HEADER, "true");
      res.status(result.status === "accepted" ? 202 : 200).json(result);
    });
  }
  return router;
}
