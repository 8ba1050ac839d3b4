// /api/users: the list with balances, creation (from a POS terminal, with its key, as a member signs
// up at the till), and one user's balance, ledger and notifications.
import { type RequestHandler, Router } from "express";
import { jsonBody, parseInput } from "../http.ts";
import { createUserBodySchema, ledgerQuerySchema, notificationsQuerySchema, usersQuerySchema } from "../schemas.ts";
import type { HistoryUseCases } from "../use-cases/history.ts";
import type { UserUseCases } from "../use-cases/users.ts";

export function userRoutes(users: UserUseCases, history: HistoryUseCases, terminalOnly: RequestHandler): Router {
  const router = Router();

  router.get("/users", async (req, res) => {
    res.json(await users.listUsers(parseInput(usersQuerySchema, req.query)));
  });

  router.post("/users", terminalOnly, ...jsonBody, async (req, res) => {
    res.status(201).json(await users.createUser(parseInput(createUserBodySchema, req.body)));
  });

  router.get("/users/:id/balance", async (req, res) => {
    res.json(await users.balanceOf(req.params.id));
  });

  router.get("/users/:id/ledger", async (req, res) => {
    const { limit } = parseInput(ledgerQuerySchema, req.query);
    res.json(await history.ledgerOf(req.params.id, limit));
  });

  router.get("/users/:id/notifications", async (req, res) => {
    const { limit } = parseInput(notificationsQuerySchema, req.query);
    res.json(await history.notificationsOf(req.params.id, limit));
  });

  return router;
}
