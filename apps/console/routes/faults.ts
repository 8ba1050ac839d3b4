// The console's fault routes, every one behind the fault guard (loopback only, the start command's
// token, faults enabled): brokers killed, restarted, paused and resumed; ledger members stalled,
// frozen, added and removed; a topic's partitions previewed and grown.
import express, { type Router } from "express";
import { z } from "zod";
import { jsonBody, parseInput } from "../../points-api/http.ts";
import { AppError } from "../../shared/errors.ts";
import { type FaultGuardOptions, faultGuard } from "../fault-guard.ts";
import type { FaultControls } from "../faults.ts";
import type { PartitionGrowth } from "../partition-growth.ts";

export interface FaultRouteDeps {
  guard: FaultGuardOptions;
  /** Null when the console supervises no processes (brokers elsewhere). */
  faults: FaultControls | null;
  growth: PartitionGrowth;
  /** A fault event for the grow ("grow points.commands from 6 to 8 partitions from the console"). */
  recordFault(cause: string): void;
}

const brokerParams = z.object({ id: z.coerce.number().int().min(0) });
const ledgerParams = z.object({ label: z.string().min(1) });
const topicParams = z.object({ topic: z.string().min(1).max(249) });
const countBody = z.object({ count: z.number().int().min(1).max(10_000) });

export function faultRoutes(deps: FaultRouteDeps): Router {
  const router = express.Router();
  router.use(faultGuard(deps.guard));
  const faults = (): FaultControls => {
    if (deps.faults === null) throw AppError.conflict("this console supervises no processes");
    return deps.faults;
  };
  const brokerId = (params: unknown) => parseInput(brokerParams, params).id;
  const ledger = (params: unknown) => parseInput(ledgerParams, params).label;

  router.post("/brokers/:id/kill", async (req, res) => {
    res.status(202).json(await faults().killBroker(brokerId(req.params)));
  });
  router.post("/brokers/:id/restart", (req, res) => {
    res.status(202).json(faults().restartBroker(brokerId(req.params)));
  });
  router.post("/brokers/:id/pause", (req, res) => {
    res.status(202).json(faults().pauseBroker(brokerId(req.params)));
  });
  router.post("/brokers/:id/resume", (req, res) => {
    res.status(202).json(faults().resumeBroker(brokerId(req.params)));
  });

  // Before "/ledger/:label/...": "add" is not a label.
  router.post("/ledger/add", async (_req, res) => {
    res.status(202).json(await faults().addLedger());
  });
  router.post("/ledger/:label/stall", (req, res) => {
    res.status(202).json(faults().stallLedger(ledger(req.params)));
  });
  router.post("/ledger/:label/freeze", (req, res) => {
    res.status(202).json(faults().freezeLedger(ledger(req.params)));
  });
  router.post("/ledger/:label/remove", async (req, res) => {
    res.status(202).json(await faults().removeLedger(ledger(req.params)));
  });

  router.post("/topics/:topic/partitions/preview", ...jsonBody, async (req, res) => {
    const { topic } = parseInput(topicParams, req.params);
    const { count } = parseInput(countBody, req.body);
    res.json(await deps.growth.preview(topic, count));
  });
  router.post("/topics/:topic/partitions", ...jsonBody, async (req, res) => {
    const { topic } = parseInput(topicParams, req.params);
    const { count } = parseInput(countBody, req.body);
    const grown = await deps.growth.grow(topic, count);
    deps.recordFault(`grow ${topic} from ${grown.from} to ${grown.to} partitions from the console`);
    res.json({ done: `${topic} now has ${grown.to} partitions`, ...grown });
  });

  return router;
}
