// The console's read routes (no token): the overview, the cluster, the groups, the event feed and
// its history, the message browser, the live tail, the key → partition calculator and the ledger
// members' states. Thin: parse the query, ask the part that knows, answer JSON or a stream.
import express, { type Router } from "express";
import { z } from "zod";
import { parseInput } from "../../points-api/http.ts";
import type { ClusterView } from "../cluster-view.ts";
import type { EventFeed } from "../event-feed.ts";
import type { GroupView } from "../group-lag.ts";
import { partitionOfKey } from "../key-partition.ts";
import type { LiveTail } from "../live-tail.ts";
import type { MessageBrowser } from "../message-browser.ts";
import { SseStream } from "../sse-writer.ts";

export interface Overview {
  pointsApi: string;
  brokers: number;
  faultsEnabled: boolean;
  startedAt: number;
}

export interface ReadRouteDeps {
  overview: Overview;
  cluster(): Promise<ClusterView>;
  groups(): GroupView[];
  events: EventFeed;
  browser: MessageBrowser;
  tail: LiveTail;
  partitionCount(topic: string): Promise<number>;
  services(): { ledger: Array<{ label: string; pid: number | null; status: string }> };
}

const topicName = z.string().min(1).max(249);
const offsetText = z.string().regex(/^\d+$/, "must be a decimal offset");
const messagesQuery = z
  .object({
    topic: topicName,
    partition: z.coerce.number().int().min(0).optional(),
    offset: offsetText.optional(),
    timestamp: z.coerce.number().int().min(0).optional(),
    key: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(20),
  })
  .refine((q) => q.key !== undefined || q.partition !== undefined, {
    message: "give a key, or a partition (with an offset or a timestamp, or neither for the latest)",
  });
const partitionerQuery = z.object({
  topic: topicName,
  key: z.string(),
  partitions: z.coerce.number().int().min(1).max(100_000).optional(),
});
const topicQuery = z.object({ topic: topicName });
const historyQuery = z.object({ group: z.string().optional() });

export function readRoutes(deps: ReadRouteDeps): Router {
  const router = express.Router();

  router.get("/overview", (_req, res) => {
    res.json(deps.overview);
  });

  router.get("/cluster", async (_req, res) => {
    res.json(await deps.cluster());
  });

  router.get("/groups", (_req, res) => {
    res.json(deps.groups());
  });

  router.get("/events", (req, res) => {
    const stream = new SseStream(res);
    const after = Number(req.get("last-event-id") ?? 0);
    for (const { seq, event } of deps.events.history(Number.isFinite(after) ? after : 0))
      stream.send("cluster", event, seq);
    const unsubscribe = deps.events.subscribe(({ seq, event }) => stream.send("cluster", event, seq));
    stream.onClose(unsubscribe);
  });

  router.get("/events/history", (req, res) => {
    const { group } = parseInput(historyQuery, req.query);
    const events = deps.events.history().map((e) => e.event);
    res.json(group === undefined ? events : events.filter((e) => e.group === group));
  });

  router.get("/messages", async (req, res) => {
    const q = parseInput(messagesQuery, req.query);
    if (q.key !== undefined && q.partition === undefined) {
      res.json(await deps.browser.byKey(q.topic, q.key, q.limit));
    } else if (q.offset !== undefined) {
      res.json(await deps.browser.fromOffset(q.topic, q.partition!, BigInt(q.offset), q.limit));
    } else if (q.timestamp !== undefined) {
      res.json(await deps.browser.fromTimestamp(q.topic, q.partition!, BigInt(q.timestamp), q.limit));
    } else {
      res.json(await deps.browser.latest(q.topic, q.partition!, q.limit));
    }
  });

  router.get("/tail", (req, res) => {
    const { topic } = parseInput(topicQuery, req.query);
    const stream = new SseStream(res);
    stream.onClose(deps.tail.watch(topic, (record) => stream.send("message", record)));
  });

  router.get("/partitioner", async (req, res) => {
    const q = parseInput(partitionerQuery, req.query);
    const partitions = q.partitions ?? (await deps.partitionCount(q.topic));
    res.json({ key: q.key, partition: partitionOfKey(q.key, partitions), partitions });
  });

  router.get("/services", (_req, res) => {
    res.json(deps.services());
  });

  return router;
}
