// The console (startConsole) over HTTP against a real broker process with its admin listener: a
// one-broker KRaft cluster run by a real Supervisor (so the fault controls act on a real process),
// a real SQLite file with users, and records produced by our client. What the page relies on: the
// cluster's partitions, messages by key and offset, the calculator, the growth preview, group lag,
// the event stream, the live tail, and fault controls that refuse without the token and work with it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrokerCluster, startBrokerCluster } from "../../../apps/broker-cluster.ts";
import type { ClusterView } from "../../../apps/console/cluster-view.ts";
import type { FeedEvent } from "../../../apps/console/event-feed.ts";
import type { GroupView } from "../../../apps/console/group-lag.ts";
import { type RunningConsole, startConsole } from "../../../apps/console/server.ts";
import { readSse } from "../../../apps/console/sse-reader.ts";
import { createUsersRepository } from "../../../apps/points-api/repositories/users.ts";
import { createDb } from "../../../apps/shared/db/client.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { Supervisor } from "../../../apps/supervisor.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";
import { createAppEnv } from "../../helpers/app-process.ts";
import { waitFor } from "../../helpers/wait.ts";

const TOPIC = "points.commands";
const TOKEN = "console-test-token";
const userIds = Array.from({ length: 100 }, (_, i) => `user-${String(i + 1).padStart(4, "0")}`);
/** Where the producer put each user's record. */
const produced = new Map<string, { partition: number; offset: string }>();

const partitionByMurmur2 = (key: string, partitions: number) => (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;

/** Reads the SSE stream at `url` until `until` holds for the events read so far (or the deadline). */
async function readStream<T>(url: string, event: string, until: (seen: T[]) => boolean, timeoutMs = 20_000) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen: T[] = [];
  try {
    const response = await fetch(url, { signal: abort.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    await readSse(response.body!, (message) => {
      if (message.event !== event) return;
      seen.push(JSON.parse(message.data) as T);
      if (until(seen)) abort.abort();
    });
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

describe("the console, on a real broker", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "console-test-"));
  const supervisor = new Supervisor(() => {});
  let cluster: BrokerCluster;
  let app: ReturnType<typeof createAppEnv>;
  let consoleApp: RunningConsole;
  let kafka: Kafka;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${consoleApp.url}${path}`);
    assert.equal(response.status, 200, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  /** token null: no x-console-token header at all. */
  const post = (path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${consoleApp.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { "x-console-token": token }) },
      body: JSON.stringify(body ?? {}),
    });
  const brokerStatus = async () => (await get<ClusterView>("/api/cluster")).brokers[0]?.status;

  before(async () => {
    cluster = await startBrokerCluster(supervisor, {
      brokers: 1,
      dataDir: join(dataDir, "cluster"),
      host: "127.0.0.1",
      basePort: 0,
      adminBasePort: 0,
    });
    app = createAppEnv(cluster.bootstrap.join(","));
    const db = createDb(app.databaseUrl);
    const users = createUsersRepository(db);
    for (const id of userIds) await users.create(id, `User ${id}`);
    await db.$disconnect();

    kafka = new Kafka({ clientId: "console-test", brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 6 },
        { topic: "grow.me", numPartitions: 2 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (const userId of userIds) {
      const [metadata] = await producer.send({
        topic: TOPIC,
        messages: [{ key: userId, value: JSON.stringify({ userId, amount: 1 }), headers: { source: "test" } }],
      });
      produced.set(userId, { partition: metadata!.partition, offset: metadata!.baseOffset! });
    }
    await producer.disconnect();

    consoleApp = await startConsole({
      host: "127.0.0.1",
      port: 0,
      token: TOKEN,
      brokers: cluster.brokers,
      bootstrap: cluster.bootstrap,
      pointsApi: "http://127.0.0.1:1",
      databaseUrl: app.databaseUrl,
      commandKey: "userId",
      processes: supervisor,
      pollIntervalMs: 250,
    });
  });

  after(async () => {
    await consoleApp?.close();
    await supervisor.stopAll();
    app?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when the cluster is asked for, then it shows the broker up and every partition with its leader, ISR and offsets", async () => {
    let view: ClusterView | undefined;
    await waitFor(
      async () => {
        view = await get<ClusterView>("/api/cluster");
        const topic = view.topics.find((t) => t.name === TOPIC);
        return topic !== undefined && topic.partitions.reduce((sum, p) => sum + Number(p.highWatermark), 0) === 100;
      },
      { message: () => JSON.stringify(view) },
    );
    assert.deepEqual(
      view!.brokers.map(({ id, status, controller, voter }) => ({ id, status, controller, voter })),
      [{ id: 0, status: "up", controller: true, voter: true }],
    );
    assert.equal(typeof view!.brokers[0]!.pid, "number");
    assert.equal(view!.quorum?.leaderId, 0);
    const topic = view!.topics.find((t) => t.name === TOPIC)!;
    assert.deepEqual(
      topic.partitions.map((p) => p.partition),
      [0, 1, 2, 3, 4, 5],
    );
    for (const p of topic.partitions) {
      assert.equal(p.leader, 0);
      assert.deepEqual(p.isr, [0]);
      assert.equal(p.underReplicated, false);
      const records = [...produced.values()].filter((r) => r.partition === p.partition).length;
      assert.equal(p.highWatermark, String(records));
      assert.deepEqual(p.replicaOffsets, [
        { broker: 0, logEndOffset: String(records), highWatermark: String(records) },
      ]);
    }
  });

  it("when the page and uPlot are asked for, then they are served", async () => {
    const page = await fetch(`${consoleApp.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    for (const file of ["uPlot.iife.min.js", "uPlot.min.css"])
      assert.equal((await fetch(`${consoleApp.url}/vendor/uplot/${file}`)).status, 200, file);
    assert.equal((await fetch(`${consoleApp.url}/api/nope`)).status, 404);
  });

  it("when messages are looked up by key and by offset, then the produced record is found with its value and headers", async () => {
    const userId = userIds[41]!;
    const where = produced.get(userId)!;
    const byKey = await get<{ partition: number; messages: Array<{ offset: string; key: string; value: unknown }> }>(
      `/api/messages?topic=${TOPIC}&key=${userId}`,
    );
    assert.equal(byKey.partition, where.partition);
    assert.deepEqual(
      byKey.messages.map((m) => [m.offset, m.key]),
      [[where.offset, userId]],
    );
    const byOffset = await get<{
      messages: Array<{ offset: string; key: string; value: unknown; headers: Record<string, string> }>;
    }>(`/api/messages?topic=${TOPIC}&partition=${where.partition}&offset=${where.offset}&limit=1`);
    assert.equal(byOffset.messages.length, 1);
    assert.deepEqual(byOffset.messages[0]!.value, { userId, amount: 1 });
    assert.deepEqual(byOffset.messages[0]!.headers, { source: "test" });
    assert.equal(byOffset.messages[0]!.key, userId);

    const bad = await fetch(`${consoleApp.url}/api/messages?topic=${TOPIC}&partition=9&offset=0`);
    assert.equal(bad.status, 400);
  });

  it("when the calculator is asked for 100 keys, then it names the partition the producer chose for each", async () => {
    for (const userId of userIds) {
      const answer = await get<{ partition: number; partitions: number }>(
        `/api/partitioner?topic=${TOPIC}&key=${userId}`,
      );
      assert.deepEqual(answer, { key: userId, partition: produced.get(userId)!.partition, partitions: 6 });
    }
  });

  it("when growth is previewed, then exactly the users whose murmur2 partition changes are listed; growing adds the partitions", async () => {
    const response = await post(`/api/faults/topics/${TOPIC}/partitions/preview`, { count: 9 });
    assert.equal(response.status, 200);
    const preview = (await response.json()) as {
      from: number;
      to: number;
      moved: Array<{ userId: string; from: number; to: number }>;
      unchanged: number;
    };
    const expected = userIds
      .filter((id) => partitionByMurmur2(id, 6) !== partitionByMurmur2(id, 9))
      .map((userId) => ({ userId, from: partitionByMurmur2(userId, 6), to: partitionByMurmur2(userId, 9) }));
    assert.ok(expected.length > 0 && expected.length < userIds.length);
    assert.deepEqual(
      { ...preview, moved: [...preview.moved].sort((a, b) => a.userId.localeCompare(b.userId)) },
      {
        topic: TOPIC,
        from: 6,
        to: 9,
        moved: expected,
        unchanged: userIds.length - expected.length,
      },
    );

    assert.equal((await post(`/api/faults/topics/grow.me/partitions/preview`, { count: 2 })).status, 400);
    const grown = await post(`/api/faults/topics/grow.me/partitions`, { count: 3 });
    assert.equal(grown.status, 200);
    assert.deepEqual(await get(`/api/partitioner?topic=grow.me&key=x`), {
      key: "x",
      partition: partitionByMurmur2("x", 3),
      partitions: 3,
    });
  });

  it("when a group has committed offsets behind the end, then its lag is shown in records and in seconds", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: "console-lag", topic: TOPIC, partitions: [{ partition: 0, offset: "0" }] });
    await admin.disconnect();
    const records = [...produced.values()].filter((r) => r.partition === 0).length;
    let group: GroupView | undefined;
    await waitFor(
      async () => {
        group = (await get<GroupView[]>("/api/groups")).find((g) => g.groupId === "console-lag");
        return group?.partitions.find((p) => p.partition === 0)?.lagSeconds != null;
      },
      { message: () => JSON.stringify(group) },
    );
    const row = group!.partitions.find((p) => p.topic === TOPIC && p.partition === 0)!;
    assert.equal(row.committed, "0");
    assert.equal(row.lag, records);
    assert.ok(row.lagSeconds! >= 0);
    assert.equal(row.owner, null);
    assert.ok(group!.totalLag >= records);
    assert.ok(group!.lagHistory.length > 0);
  });

  it("when the live tail is open and a record is produced, then the tail streams it", async () => {
    const producer = kafka.producer();
    await producer.connect();
    const tailed = readStream<{ key: string; value: unknown }>(
      `${consoleApp.url}/api/tail?topic=${TOPIC}`,
      "message",
      (seen) => seen.some((m) => m.key === "tail-key"),
    );
    // Records go on until the tail has seen one (it starts at the end, from its first poll on).
    let done = false;
    void tailed.finally(() => {
      done = true;
    });
    while (!done) {
      await producer.send({ topic: TOPIC, messages: [{ key: "tail-key", value: '{"n":1}' }] });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await producer.disconnect();
    const seen = await tailed;
    assert.deepEqual(seen.find((m) => m.key === "tail-key")?.value, { n: 1 });
  });

  it("when a console listens on 0.0.0.0, then it logs that it listens beyond loopback and its fault controls are off, token or not", async () => {
    const lines: string[] = [];
    const exposed = await startConsole({
      host: "0.0.0.0",
      port: 0,
      token: TOKEN,
      brokers: cluster.brokers,
      bootstrap: cluster.bootstrap,
      pointsApi: "http://127.0.0.1:1",
      databaseUrl: app.databaseUrl,
      commandKey: "userId",
      processes: supervisor,
      log: createLog("console", (line) => lines.push(line)),
    });
    try {
      const port = new URL(exposed.url).port;
      assert.ok(
        lines.includes(
          `[console] warning: the console listens on 0.0.0.0:${port}, beyond loopback: other machines can reach it (HOST=0.0.0.0)\n`,
        ),
        lines.join(""),
      );
      assert.equal(exposed.faultsEnabled, false);
      const refused = await fetch(`${exposed.url}/api/faults/brokers/0/kill`, {
        method: "POST",
        headers: { "x-console-token": TOKEN },
      });
      assert.equal(refused.status, 403);
    } finally {
      await exposed.close();
    }
    assert.equal(await brokerStatus(), "up");
  });

  it("when fault routes are called without the token or with a wrong one, then they answer 403 and do nothing", async () => {
    for (const token of [null, "", "wrong"]) {
      const response = await post("/api/faults/brokers/0/kill", {}, token);
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "forbidden");
    }
    assert.equal((await post(`/api/faults/topics/${TOPIC}/partitions/preview`, { count: 9 }, null)).status, 403);
    assert.equal(await brokerStatus(), "up");
  });

  it("when a broker is paused and resumed from the console, then the event stream shows the console's fault events and the broker goes paused, then up", async () => {
    const events = readStream<FeedEvent>(`${consoleApp.url}/api/events`, "cluster", (seen) =>
      seen.some((e) => e.kind === "fault" && /resume broker 0/.test(e.cause)),
    );
    assert.equal((await post("/api/faults/brokers/0/pause")).status, 202);
    await waitFor(async () => (await brokerStatus()) === "paused", { message: "broker 0 shown paused" });
    assert.equal((await post("/api/faults/brokers/0/resume")).status, 202);
    await waitFor(async () => (await brokerStatus()) === "up", { message: "broker 0 shown up again" });
    const seen = await events;
    // The broker's own history comes first: its election as controller.
    assert.ok(
      seen.some((e) => e.kind === "controller-changed" && e.broker === 0),
      JSON.stringify(seen),
    );
    assert.deepEqual(
      seen.filter((e) => e.kind === "fault" && e.subjectBroker === 0).map((e) => e.cause),
      ["pause broker 0 (SIGSTOP) from the console", "resume broker 0 (SIGCONT) from the console"],
    );
  });

  it("when a broker is killed from the console, then it stays down until restarted, then is up again", async () => {
    const killed = await post("/api/faults/brokers/0/kill");
    assert.equal(killed.status, 202);
    await waitFor(async () => (await brokerStatus()) === "down", { message: "broker 0 shown down" });
    assert.equal(supervisor.children().find((c) => c.label === "broker-0")?.status, "stopped");
    assert.equal((await post("/api/faults/brokers/0/restart")).status, 202);
    await waitFor(async () => (await brokerStatus()) === "up", { timeoutMs: 60_000, message: "broker 0 up again" });
    const history = await get<FeedEvent[]>("/api/events/history");
    assert.ok(history.some((e) => e.kind === "fault" && e.cause === "kill -9 broker 0 from the console"));
  });
});
