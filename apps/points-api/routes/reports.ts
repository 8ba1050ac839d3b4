// Read-only views for the demo page: stores, the latest ledger entries, analytics, consumer groups.
import { Router } from "express";
import { parseInput } from "../http.ts";
import { analyticsQuerySchema, recentLedgerQuerySchema } from "../schemas.ts";
import type { AnalyticsUseCases } from "../use-cases/analytics.ts";
import type { GroupUseCases } from "../use-cases/groups.ts";
import type { HistoryUseCases } from "../use-cases/history.ts";
import type { StoreUseCases } from "../use-cases/stores.ts";

export function reportRoutes({
  stores,
  history,
  analytics,
  groups,
}: {
  stores: StoreUseCases;
  history: HistoryUseCases;
  analytics: AnalyticsUseCases;
  groups: GroupUseCases;
}): Router {
  const router = Router();

  router.get("/stores", async (_req, res) => {
    res.json(await stores.listStores());
  });

  router.get("/ledger/recent", async (req, res) => {
    const { limit } = parseInput(recentLedgerQuerySchema, req.query);
    res.json(await history.recentEntries(limit));
  });

  router.get("/analytics", async (req, res) => {
    res.json(await analytics.report(parseInput(analyticsQuerySchema, req.query)));
  });

  router.get("/groups", async (_req, res) => {
    res.json(await groups.groups());
  });

  return router;
}
