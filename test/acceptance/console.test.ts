// The console (apps/console/) in headless Chromium against `npm start -- --brokers 3` on free ports,
// while points flow: every view shows live data; the message browser finds a command by key and by
// offset; the key calculator agrees with the partitions kafkajs's own producer chose; the partition
// growth preview lists exactly the users whose partition changes; a broker killed from the console
// loses its leaderships and ISR places and comes back into the ISR when restarted, with the causes in
// the event stream and every command still applied exactly once; a ledger member whose heartbeats
// are frozen is removed for its session timeout and one that stalls leaves on its max poll interval,
// both on the rebalance timeline; fault controls refuse requests without the token; a broker's
// /metrics parses and its counters move. Screenshots of each view go to test-output/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import type { Page } from "playwright-core";
import { bearer, readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { demoUsers } from "../../seed/demo-data.ts";
import { onChromiumPage } from "../helpers/chromium.ts";
import { startScript } from "../helpers/command.ts";
import { sampleSum, scrape } from "../helpers/prometheus.ts";
import { CHROMIUM, needs } from "../helpers/system-tools.ts";
import { waitFor } from "../helpers/wait.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const screenshotDir = join(repoRoot, "test-output", "screenshots");
const COMMANDS = "points.commands";
const KEYS_TOPIC = "console-keys";

interface ClusterAnswer {
  brokers: Array<{ id: number; status: string; controller: boolean }>;
  topics: Array<{ name: string; partitions: Array<{ partition: number; leader: number; isr: number[] }> }>;
}
interface GroupAnswer {
  groupId: string;
  members: Array<{ memberId: string; assignment: Record<string, number[]> }>;
}

/** Charges at a steady pace while the faults happen; a refused request is sent again under the same key. */
class ChargeLoad {
  private running = true;
  private sent = 0;
  readonly expected = new Map<string, number>();
  private readonly done: Promise<void>;

  constructor(
    private readonly api: string,
    private readonly authorization: string,
    private readonly users: string[],
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const n = this.sent++;
      const userId = this.users[n % this.users.length]!;
      await charge(this.api, this.authorization, userId, 1, `console-load-${n}`);
      this.expected.set(userId, (this.expected.get(userId) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * POSTs a charge of terminal store-1-pos-1 (`authorization` carries its key) until the API accepts
 * it (the same Idempotency-Key each time); returns its status.
 */
async function charge(
  api: string,
  authorization: string,
  userId: string,
  amount: number,
  key: string,
  waitMs = 0,
): Promise<string> {
  for (;;) {
    try {
      const response = await fetch(`${api}/api/points/charge${waitMs ? `?wait=${waitMs}` : ""}`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key, authorization },
        body: JSON.stringify({ userId, amount, storeId: "store-1", terminalId: "store-1-pos-1" }),
      });
      if (response.ok) return ((await response.json()) as { status: string }).status;
    } catch {
      // the API itself is restarting: send again
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return (await response.json()) as T;
}

async function show(page: Page, view: string): Promise<void> {
  await page.click(`nav a[href="#${view}"]`);
  await page.locator(`[data-testid=view-${view}]`).waitFor();
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** The points.commands rows of the partition grid: leader and ISR as the page shows them. */
async function commandRows(page: Page): Promise<Array<{ leader: string; isr: string[] }>> {
  return page.locator(`[data-testid^="partition-${COMMANDS}-"]`).evaluateAll((rows) =>
    rows.map((row) => ({
      leader: row.getAttribute("data-leader") ?? "",
      isr: (row.getAttribute("data-isr") ?? "").split(",").filter(Boolean),
    })),
  );
}

describe("the console on a 3-broker points demo", { timeout: 420_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "points-console-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it(
    "when a learner watches and breaks the cluster from the console, then every view shows it live and no command is lost",
    ...needs(CHROMIUM, async (t: TestContext) => {
      const { child, output, exited } = startScript(join(repoRoot, "apps", "start.ts"), ["--brokers", "3"], {
        env: {
          DATA_DIR: dataDir,
          BROKER_PORT: "0",
          PORT: "0",
          ADMIN_PORT: "0",
          CONSOLE_PORT: "0",
          KAFKA_BROKERS: "",
          KAFKA_CLIENT: "",
          // Shorter than the demo's defaults so the faults show within seconds.
          LEDGER_SESSION_TIMEOUT_MS: "6000",
          LEDGER_MAX_POLL_INTERVAL_MS: "3000",
          LEDGER_STALL_MS: "6000",
        },
      });
      let load: ChargeLoad | undefined;
      try {
        await waitFor(() => /Ctrl-C stops everything/.test(output()) || child.exitCode !== null, {
          timeoutMs: 150_000,
          message: () => output(),
        });
        const consoleLine = /^ {2}console: (http:\/\/\S+?)\/? {2}\(fault token: (\w+)\)$/m.exec(output());
        assert.ok(consoleLine, output());
        const [, consoleUrl, token] = consoleLine as unknown as [string, string, string];
        const admins = [...output().matchAll(/^ {2}broker (\d) admin: (http:\/\/\S+)$/gm)].map((m) => m[2]!);
        assert.equal(admins.length, 3, output());
        const api = /^ *points-api listening on (http:\/\/\S+)$/m.exec(output())![1]!;
        const bootstrap = /^ {2}brokers: (\S+) /m.exec(output())![1]!.split(",");
        const users = demoUsers();
        const openingBalances = new Map(users.map((u) => [u.id, u.openingBalance]));

        // 100 keys sent one by one by the real kafkajs producer: the partitions it chose, and where they landed.
        const kafka = new Kafka({ clientId: "console-test", brokers: bootstrap, logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: KEYS_TOPIC, numPartitions: 5 }], waitForLeaders: true });
        await admin.disconnect();
        const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        const chosen: Array<{ key: string; partition: number; offset: string }> = [];
        for (let i = 0; i < 100; i++) {
          const key = `user-${String(1000 + i)}`;
          const [sent] = await producer.send({
            topic: KEYS_TOPIC,
            messages: [{ key, value: JSON.stringify({ i }), headers: { source: "console-test" } }],
          });
          chosen.push({ key, partition: sent!.partition, offset: sent!.baseOffset! });
        }
        await producer.disconnect();

        const before = await Promise.all(admins.map((url) => scrape(`${url}/metrics`)));
        const pos = bearer(readTerminalKeys(dataDir)["store-1-pos-1"]!);
        load = new ChargeLoad(
          api,
          pos,
          users.map((u) => u.id),
        );

        await onChromiumPage(`${consoleUrl}/?token=${token}#cluster`, async (page, errors) => {
          await page.setViewportSize({ width: 1440, height: 1000 });

          await t.test(
            "the cluster view: three brokers up, every points.commands partition fully in sync",
            async () => {
              for (const id of [0, 1, 2]) await page.locator(`[data-testid=broker-${id}][data-status=up]`).waitFor();
              await waitFor(
                async () => {
                  const rows = await commandRows(page);
                  return rows.length === 6 && rows.every((r) => r.isr.length === 3);
                },
                { message: "6 partitions of points.commands, each with 3 replicas in sync" },
              );
              await screenshot(page, "cluster");
            },
          );

          await t.test("a broker's /metrics parses as Prometheus text and its counters move under load", async () => {
            const messagesIn = (samples: Awaited<ReturnType<typeof scrape>>[]) =>
              samples.reduce(
                (sum, s) => sum + sampleSum(s, "kafka_server_brokertopicmetrics_messagesin_total", { topic: COMMANDS }),
                0,
              );
            const start = messagesIn(before);
            await waitFor(
              async () => messagesIn(await Promise.all(admins.map((url) => scrape(`${url}/metrics`)))) >= start + 20,
              { message: "messages in for points.commands grow by the charges sent" },
            );
          });

          await t.test("the topics view: the calculator agrees with kafkajs's producer for 100 keys", async () => {
            await show(page, "topics");
            await page.selectOption("[data-testid=calc-topic]", KEYS_TOPIC);
            for (const { key, partition } of chosen) {
              await page.fill("[data-testid=calc-key]", key);
              const result = page.locator(`[data-testid=calc-result][data-key="${key}"]`);
              await result.waitFor();
              assert.equal(await result.getAttribute("data-partition"), String(partition), key);
            }
          });

          await t.test("the message browser finds a record by key and by partition and offset", async () => {
            const target = chosen[42]!;
            await page.selectOption("[data-testid=browser-topic]", KEYS_TOPIC);
            await page.check("[data-testid=browser-mode-key]");
            await page.fill("[data-testid=browser-key]", target.key);
            await page.click("[data-testid=browser-find]");
            const byKey = page.locator(`[data-testid=message-row][data-key="${target.key}"]`);
            await byKey.first().waitFor();
            assert.equal(await byKey.first().getAttribute("data-partition"), String(target.partition));
            assert.equal(await byKey.first().getAttribute("data-offset"), target.offset);
            assert.match(await byKey.first().innerText(), /"i": 42/);

            const other = chosen[7]!;
            await page.check("[data-testid=browser-mode-offset]");
            await page.fill("[data-testid=browser-partition]", String(other.partition));
            await page.fill("[data-testid=browser-offset]", other.offset);
            await page.fill("[data-testid=browser-limit]", "1");
            await page.click("[data-testid=browser-find]");
            await page
              .locator(`[data-testid=message-row][data-offset="${other.offset}"][data-key="${other.key}"]`)
              .waitFor();

            await page.selectOption("[data-testid=browser-topic]", COMMANDS);
            await page.check("[data-testid=browser-mode-key]");
            await page.fill("[data-testid=browser-key]", users[3]!.id);
            await page.fill("[data-testid=browser-limit]", "5");
            await page.click("[data-testid=browser-find]");
            await page.locator(`[data-testid=message-row][data-key="${users[3]!.id}"]`).first().waitFor();
            await screenshot(page, "topics");
          });

          await t.test("the groups view: the ledger group's member, its partitions and lag", async () => {
            await show(page, "groups");
            await page.locator("[data-testid=group-ledger] [data-testid^=member-]").first().waitFor();
            await page.locator(`[data-testid^="group-partition-ledger-${COMMANDS}-"]`).nth(5).waitFor();
            await page.locator("[data-testid=lag-chart-ledger] canvas").first().waitFor();
            await screenshot(page, "groups");
          });

          await t.test("fault controls refuse a request without the token or with a wrong one", async () => {
            for (const headers of [{}, { "x-console-token": "not-the-token" }] as Array<Record<string, string>>) {
              const response = await fetch(`${consoleUrl}/api/faults/brokers/0/kill`, { method: "POST", headers });
              assert.equal(response.status, 403);
            }
            const cluster = await json<ClusterAnswer>(`${consoleUrl}/api/cluster`);
            assert.ok(cluster.brokers.every((b) => b.status === "up"));
          });

          await t.test("the growth preview lists exactly the users whose partition changes", async () => {
            await show(page, "faults");
            await page.fill("[data-testid=growth-count]", "9");
            await page.click("[data-testid=growth-preview-button]");
            await page.locator("[data-testid=growth-summary]:not(:empty)").waitFor();
            const moved = await page
              .locator("[data-testid=growth-preview] [data-user]")
              .evaluateAll((rows) =>
                rows.map(
                  (r) => `${r.getAttribute("data-user")}:${r.getAttribute("data-from")}->${r.getAttribute("data-to")}`,
                ),
              );
            const partitioner = Partitioners.DefaultPartitioner();
            const partitionOf = (key: string, count: number) =>
              partitioner({
                topic: COMMANDS,
                partitionMetadata: Array.from({ length: count }, (_, partitionId) => ({
                  partitionId,
                  leader: 0,
                  partitionErrorCode: 0,
                  replicas: [0],
                  isr: [0],
                })),
                message: { key, value: null },
              });
            const expected = users
              .map((u) => ({ id: u.id, from: partitionOf(u.id, 6), to: partitionOf(u.id, 9) }))
              .filter((u) => u.from !== u.to)
              .map((u) => `${u.id}:${u.from}->${u.to}`);
            assert.deepEqual(moved.sort(), expected.sort());
            assert.ok(expected.length > 0);
            await screenshot(page, "faults");
          });

          const cluster = await json<ClusterAnswer>(`${consoleUrl}/api/cluster`);
          const leaders = new Set(
            cluster.topics.find((topic) => topic.name === COMMANDS)!.partitions.map((p) => p.leader),
          );
          const victim = cluster.brokers.find((b) => !b.controller && leaders.has(b.id))?.id ?? 2;

          await t.test(
            `killing broker ${victim} from the console: leaders move, the ISR shrinks, points keep being applied`,
            async () => {
              await page.click(`[data-testid=fault-broker-${victim}-kill]`);
              await page.locator("[data-testid=fault-result][data-ok=true]").first().waitFor();
              await show(page, "cluster");
              await page.locator(`[data-testid=broker-${victim}]:not([data-status=up])`).waitFor();
              await waitFor(
                async () => {
                  const rows = await commandRows(page);
                  return (
                    rows.length === 6 &&
                    rows.every((r) => r.leader !== String(victim) && !r.isr.includes(String(victim)))
                  );
                },
                {
                  timeoutMs: 60_000,
                  message: `no points.commands partition led by, or in sync with, broker ${victim}`,
                },
              );
              await screenshot(page, "cluster-broker-killed");
              // The whole event stream (the cluster view lists only the latest few): the fencing and its consequences.
              await show(page, "timeline");
              const events = page.locator("[data-testid=event-list] li");
              await page.locator("[data-testid=event-list] li[data-kind=broker-fenced]").first().waitFor();
              await waitFor(
                async () =>
                  (await events.allInnerTexts()).some(
                    (text) =>
                      /isr-shrank/.test(text) && text.includes(COMMANDS) && text.includes(`broker ${victim} fenced`),
                  ),
                { message: `an isr-shrank of ${COMMANDS} caused by "broker ${victim} fenced" in the event stream` },
              );
              assert.equal(await charge(api, pos, users[0]!.id, 5, "console-during-kill", 20_000), "applied");
              load!.expected.set(users[0]!.id, (load!.expected.get(users[0]!.id) ?? 0) + 5);
            },
          );

          await t.test(`restarting broker ${victim} brings it back into every ISR`, async () => {
            await show(page, "faults");
            await page.click(`[data-testid=fault-broker-${victim}-restart]`);
            await show(page, "cluster");
            await waitFor(
              async () => {
                const rows = await commandRows(page);
                return rows.length === 6 && rows.every((r) => r.isr.includes(String(victim)));
              },
              { timeoutMs: 90_000, message: `broker ${victim} back in the ISR of every points.commands partition` },
            );
            await page.locator(`[data-testid=broker-${victim}][data-status=up]`).waitFor();
          });

          await t.test(
            "a second ledger instance joins; freezing its heartbeats shows a session timeout on the timeline",
            async () => {
              await show(page, "faults");
              await page.click("[data-testid=fault-ledger-add]");
              await page.locator('[data-testid="fault-ledger-ledger#2"]').waitFor();
              await waitFor(
                async () => {
                  const groups = await json<GroupAnswer[]>(`${consoleUrl}/api/groups`);
                  const ledger = groups.find((g) => g.groupId === "ledger");
                  return (
                    ledger?.members.length === 2 &&
                    ledger.members.every((m) => (m.assignment[COMMANDS] ?? []).length > 0)
                  );
                },
                { timeoutMs: 60_000, message: "group ledger has two members sharing points.commands" },
              );
              await page.click('[data-testid="fault-ledger-ledger#2-freeze"]');
              await show(page, "timeline");
              await page
                .locator('[data-testid=mark][data-kind=member-removed][data-cause*="session timeout"]')
                .first()
                .waitFor({ timeout: 60_000 });
              await waitFor(
                async () => {
                  const groups = await json<GroupAnswer[]>(`${consoleUrl}/api/groups`);
                  const ledger = groups.find((g) => g.groupId === "ledger");
                  return ledger?.members.length === 1 && (ledger.members[0]!.assignment[COMMANDS] ?? []).length === 6;
                },
                { timeoutMs: 60_000, message: "the remaining ledger member owns all 6 partitions" },
              );
            },
          );

          await t.test(
            "a ledger member stalled past its max poll interval leaves the group, and the timeline says why",
            async () => {
              await show(page, "faults");
              await page
                .locator('[data-testid="fault-ledger-ledger#2"][data-status=running]')
                .waitFor({ timeout: 60_000 });
              await waitFor(
                async () => {
                  const groups = await json<GroupAnswer[]>(`${consoleUrl}/api/groups`);
                  return groups.find((g) => g.groupId === "ledger")?.members.length === 2;
                },
                { timeoutMs: 60_000, message: "the thawed ledger#2 is back in the group" },
              );
              await page.click("[data-testid=fault-ledger-ledger-stall]");
              await show(page, "timeline");
              await page
                .locator('[data-testid=mark][data-kind=member-left][data-cause*="poll timeout"]')
                .first()
                .waitFor({ timeout: 60_000 });
              await screenshot(page, "timeline");
            },
          );

          await t.test("the points view embeds the demo page", async () => {
            await show(page, "points");
            await page.frameLocator("iframe").locator("#balances tr").first().waitFor();
            await screenshot(page, "points");
          });
          assert.deepEqual(errors, []);
        });

        await t.test("every charge accepted through all of it is applied exactly once", async () => {
          await load!.stop();
          await waitFor(
            async () => {
              const { users: now } = await json<{ users: Array<{ id: string; balance: number }> }>(
                `${api}/api/users?limit=100`,
              );
              return now.every((u) => u.balance === (openingBalances.get(u.id) ?? 0) + (load!.expected.get(u.id) ?? 0));
            },
            { timeoutMs: 60_000, message: "every balance is its opening balance plus the charges sent" },
          );
        });
      } finally {
        await load?.stop();
        child.kill("SIGTERM");
      }
      assert.equal(await exited, 0, output());
    }),
  );
});
