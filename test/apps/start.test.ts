// `npm start` (apps/start.ts) on a fresh data directory: it migrates, starts the bundled broker and
// every service, seeds, prints where to look, serves the demo page, and stops cleanly on SIGTERM;
// with `--brokers 3` the same demo runs on a 3-broker cluster with its topics replicated.
// It prints the console's address with its fault token and each broker's admin listener, and both answer.
// `npm run svc` errors are one line each.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runsEntryPoint } from "../../apps/shared/entry-point.ts";
import { bearer, readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { ConfigResourceTypes, Kafka, logLevel } from "../../broker/client/index.ts";
import { demoUsers } from "../../seed/demo-data.ts";
import { createAppEnv } from "../helpers/app-process.ts";
import { startBroker } from "../helpers/broker-process.ts";
import { onChromiumPage } from "../helpers/chromium.ts";
import { runScript, startScript } from "../helpers/command.ts";
import { CHROMIUM, needs } from "../helpers/system-tools.ts";
import { waitFor } from "../helpers/wait.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Pids of `parent`'s child processes that run `script` (through tsx or from its bundle), read from /proc (no `ps` needed). */
function childrenRunning(parent: number, script: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const parentPid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return parentPid === parent && runsEntryPoint(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"), script);
      } catch {
        return false; // gone meanwhile
      }
    });
}

describe("npm start", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "points-start-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("when started on a fresh data directory, then everything runs, the demo is seeded and SIGTERM stops it all", async (t) => {
    const { child, output, exited } = startScript(join(repoRoot, "apps", "start.ts"), [], {
      env: {
        DATA_DIR: dataDir,
        BROKER_PORT: "0",
        PORT: "0",
        ADMIN_PORT: "0",
        CONSOLE_PORT: "0",
        CONSOLE_TOKEN: "",
        KAFKA_BROKERS: "",
        KAFKA_CLIENT: "",
      },
    });
    try {
      await waitFor(() => /Ctrl-C stops everything/.test(output()) || child.exitCode !== null, {
        timeoutMs: 90_000,
        message: () => output(),
      });
      const listening = output().match(/^ *points-api listening on (http:\/\/\S+)$/gm) ?? [];
      assert.equal(listening.length, 1, output());
      const api = /listening on (http:\/\/\S+)/.exec(listening[0]!)![1]!;

      const page = await fetch(`${api}/`);
      assert.equal(page.status, 200);

      // The demo terminals' keys: where they are, and one terminal's link and key, printed.
      assert.match(output(), /^ {2}terminal keys: \S+terminal-keys\.json /m);
      const posLine = /^ {2}POS terminal store-1-pos-1: (http:\/\/\S+\/#terminal-key=(store-1-pos-1\.\S+))$/m.exec(
        output(),
      );
      assert.ok(posLine, output());
      const [, posLink, key] = posLine as unknown as [string, string, string];
      assert.equal(readTerminalKeys(dataDir)["store-1-pos-1"], key);
      assert.match(
        output(),
        new RegExp(`^ {2}try: curl .*-H 'authorization: Bearer ${key.replace(/[.-]/g, "\\$&")}'`, "m"),
      );
      const authorization = bearer(key);
      assert.match(await page.text(), /<title>Points ledger/);

      // The console and the broker's admin listener, each printed once, each answering.
      const consoleLines = output().match(
        /^ {2}console: http:\/\/127\.0\.0\.1:\d+\/ {2}\(fault token: [0-9a-f]{24}\)$/gm,
      );
      assert.equal(consoleLines?.length, 1, output());
      const consoleUrl = /console: (http:\/\/\S+)\//.exec(consoleLines![0]!)![1]!;
      const token = /fault token: (\w+)/.exec(consoleLines![0]!)![1]!;
      const adminLines = output().match(/^ {2}broker 0 admin: http:\/\/127\.0\.0\.1:\d+$/gm);
      assert.equal(adminLines?.length, 1, output());
      const adminUrl = /admin: (\S+)/.exec(adminLines![0]!)![1]!;
      assert.equal(((await (await fetch(`${adminUrl}/v1/broker`)).json()) as { nodeId: number }).nodeId, 0);
      const overview = (await (await fetch(`${consoleUrl}/api/overview`)).json()) as {
        pointsApi: string;
        brokers: number;
        faultsEnabled: boolean;
      };
      assert.deepEqual(
        { pointsApi: overview.pointsApi, brokers: overview.brokers, faultsEnabled: overview.faultsEnabled },
        { pointsApi: api, brokers: 1, faultsEnabled: true },
      );
      const services = (await (await fetch(`${consoleUrl}/api/services`)).json()) as { ledger: { label: string }[] };
      assert.deepEqual(
        services.ledger.map((l) => l.label),
        ["ledger"],
      );
      const refused = await fetch(`${consoleUrl}/api/faults/ledger/add`, { method: "POST" });
      assert.equal(refused.status, 403);
      // The token printed is the one the fault controls take.
      const added = await fetch(`${consoleUrl}/api/faults/ledger/add`, {
        method: "POST",
        headers: { "x-console-token": token },
      });
      assert.equal(added.status, 202, await added.clone().text());
      assert.deepEqual(await added.json(), { done: "ledger#2 started", label: "ledger#2" });
      const removed = await fetch(`${consoleUrl}/api/faults/ledger/${encodeURIComponent("ledger#2")}/remove`, {
        method: "POST",
        headers: { "x-console-token": token },
      });
      assert.equal(removed.status, 202, await removed.clone().text());

      // The demo page links to the ordering lab's latest report, which `npm run lab` writes to DATA_DIR/lab.
      mkdirSync(join(dataDir, "lab"), { recursive: true });
      writeFileSync(join(dataDir, "lab", "report.html"), "<title>Ordering lab report</title>");
      const report = await fetch(`${api}/lab/report.html`);
      assert.equal(report.status, 200);
      assert.match(await report.text(), /Ordering lab report/);

      const seeded = demoUsers();
      await waitFor(
        async () => {
          const { users } = (await (await fetch(`${api}/api/users?limit=100`)).json()) as {
            users: { id: string; balance: number }[];
          };
          return (
            users.length === seeded.length &&
            seeded.every((u) => users.find((x) => x.id === u.id)?.balance === u.openingBalance)
          );
        },
        { message: "seeded users reach their opening balances through the ledger" },
      );

      const { groups } = (await (await fetch(`${api}/api/groups`)).json()) as {
        groups: { groupId: string; members: unknown[] }[];
      };
      for (const id of ["ledger", "notification", "analytics"]) {
        assert.equal(groups.find((g) => g.groupId === id)?.members.length, 1, `group ${id} has its member`);
      }

      await t.test(
        "the demo page, in a real browser: every panel fills from the API, and a charge from its POS form comes back applied",
        ...needs(CHROMIUM, async () => {
          // The link with the key: the page keeps it, and its POS form sends it.
          await onChromiumPage(posLink, async (page, errors) => {
            await page
              .locator("#balances tr")
              .nth(seeded.length - 1)
              .waitFor();
            await page.locator("#groups .group").nth(2).waitFor();
            assert.match(await page.locator("#groups").innerText(), /ledger[\s\S]*notification[\s\S]*analytics/);
            await page.locator("#ledger tr").first().waitFor();
            await page.locator("#stores tr").first().waitFor();
            await page.fill("#pos-amount", "250");
            await page.click("button[data-type=charge]");
            // The form waits 3 s for the ledger: applied by then (200), or accepted (202) on a busy
            // machine and applied after, as the user's ledger then shows.
            await page.locator("#pos-result", { hasText: /^HTTP 20[02]/ }).waitFor();
            const answer = await page.locator("#pos-result").innerText();
            const { commandId, status } = JSON.parse(answer.slice(answer.indexOf("{"))) as {
              commandId: string;
              status: string;
            };
            assert.equal(status, answer.startsWith("HTTP 200") ? "applied" : "accepted", answer);
            const user = await page.inputValue("#pos-user");
            await waitFor(
              async () => {
                const { entries } = (await (await fetch(`${api}/api/users/${user}/ledger`)).json()) as {
                  entries: { commandId: string; status: string; amount: number }[];
                };
                return entries.some((e) => e.commandId === commandId && e.status === "applied" && e.amount === 250);
              },
              { message: `the POS charge ${commandId} applied to ${user}` },
            );
            await page.locator("#notifications tr").first().waitFor();
            assert.deepEqual(errors, []);
          });
        }),
      );

      await t.test(
        "the console on the lone broker, in a real browser: the cluster, topics, groups and timeline views show live data",
        ...needs(CHROMIUM, async () => {
          await onChromiumPage(`${consoleUrl}/#cluster`, async (page, errors) => {
            const view = async (name: string) => {
              await page.click(`nav a[href="#${name}"]`);
              await page.locator(`[data-testid=view-${name}]`).waitFor();
            };
            await page.locator("[data-testid=broker-0][data-status=up]").waitFor();
            await page.locator('[data-testid="partition-points.commands-5"][data-leader="0"][data-isr="0"]').waitFor();
            await view("topics");
            await page.locator('[data-testid="topic-partition-points.commands-0"]').waitFor();
            await view("groups");
            for (const group of ["ledger", "notification", "analytics"])
              await page.locator(`[data-testid=group-${group}] [data-testid^=member-]`).first().waitFor();
            await view("timeline");
            await page.locator("[data-testid^=lane-ledger-]").first().waitFor();
            await page.locator("[data-testid=event-list] li[data-kind=rebalance-completed]").first().waitFor();
            assert.deepEqual(errors, []);
          });
        }),
      );

      // A service that dies (kill -9 the ledger) is started again, and commands keep being applied.
      const [ledgerPid] = childrenRunning(child.pid!, "apps/ledger/main.ts");
      assert.ok(ledgerPid !== undefined, "the ledger runs as a child of npm start");
      process.kill(ledgerPid, "SIGKILL");
      await waitFor(() => /\[ledger\] exited \(SIGKILL\); restarting in 1 s/.test(output()), {
        message: () => output(),
      });
      await waitFor(
        () => (output().match(/\[ledger\] consuming points\.commands as group ledger/g) ?? []).length === 2,
        {
          message: () => output(),
        },
      );
      const response = await fetch(`${api}/api/points/charge?wait=20000`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({ userId: seeded[1]!.id, amount: 10, storeId: "store-1", terminalId: "store-1-pos-1" }),
      });
      assert.equal(((await response.json()) as { status: string }).status, "applied");
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, output());
    // start.ts's own last line, after every service's "[name] stopped".
    assert.match(output(), /^stopped$/m);
  });
});

describe("npm start -- --brokers 3", { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "points-start-cluster-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("when started with three brokers, then the demo runs on the cluster, a charge is applied, and its topics have 3 replicas with min.insync.replicas=2", async () => {
    const { child, output, exited } = startScript(join(repoRoot, "apps", "start.ts"), ["--brokers", "3"], {
      env: {
        DATA_DIR: dataDir,
        BROKER_PORT: "0",
        PORT: "0",
        ADMIN_PORT: "0",
        CONSOLE_PORT: "0",
        KAFKA_BROKERS: "",
        KAFKA_CLIENT: "",
      },
    });
    try {
      await waitFor(() => /Ctrl-C stops everything/.test(output()) || child.exitCode !== null, {
        timeoutMs: 150_000,
        message: () => output(),
      });
      assert.equal(
        (output().match(/^broker [012] listening on 127\.0\.0\.1:\d+ pid \d+$/gm) ?? []).length,
        3,
        output(),
      );
      assert.equal((output().match(/^ {2}broker [012] admin: http:\/\/127\.0\.0\.1:\d+$/gm) ?? []).length, 3, output());
      const bootstrap = /^ {2}brokers: (\S+) \(a 3-broker KRaft cluster\)$/m.exec(output())?.[1]?.split(",") ?? [];
      assert.equal(bootstrap.length, 3, output());
      const api = /^ *points-api listening on (http:\/\/\S+)$/m.exec(output())![1]!;

      const seeded = demoUsers();
      const response = await fetch(`${api}/api/points/charge?wait=20000`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: bearer(readTerminalKeys(dataDir)["store-1-pos-1"]!),
        },
        body: JSON.stringify({ userId: seeded[0]!.id, amount: 10, storeId: "store-1", terminalId: "store-1-pos-1" }),
      });
      assert.equal(((await response.json()) as { status: string }).status, "applied", output());

      const admin = new Kafka({ clientId: "start-test", brokers: bootstrap, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const topics = ["points.commands", "points.events", "__consumer_offsets"];
        const { brokers } = await admin.describeCluster();
        assert.deepEqual(brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
        for (const topic of (await admin.fetchTopicMetadata({ topics })).topics) {
          for (const partition of topic.partitions)
            assert.deepEqual([...partition.replicas].sort(), [0, 1, 2], `${topic.name}-${partition.partitionId}`);
        }
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: topics.map((name) => ({
            type: ConfigResourceTypes.TOPIC,
            name,
            configNames: ["min.insync.replicas"],
          })),
        });
        assert.deepEqual(
          described.resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue]).sort(),
          topics.map((name) => [name, "2"]).sort(),
        );
      } finally {
        await admin.disconnect();
      }
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, output());
    assert.match(output(), /^stopped$/m);
  });
});

describe("npm run svc", () => {
  const svc = (...args: string[]) => runScript(join(repoRoot, "apps", "svc.ts"), args);

  it("when the service is unknown, then it says which exist in one line and exits 2", async () => {
    const result = await svc("nope");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^svc: unknown service "nope"; one of: .*ledger.*\n$/);
  });

  it("when --instances is not a positive integer, then it says so and exits 2", async () => {
    const result = await svc("ledger", "--instances", "0");
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'svc: --instances must be an integer >= 1 (got "0")\n');
  });
});

describe("npm run svc -- ledger --instances 2", { timeout: 90_000 }, () => {
  it("when two instances run, then they split the partitions, and SIGTERM stops both", async () => {
    const broker = await startBroker();
    const app = createAppEnv(broker.address);
    const { child, output, exited } = startScript(join(repoRoot, "apps", "svc.ts"), ["ledger", "--instances", "2"], {
      env: app.env(),
    });
    /** The partitions each instance announced last. */
    const owned = () => {
      const last = new Map<string, number[]>();
      for (const [, who, list] of output().matchAll(
        /^\[(ledger#\d)\] joined group ledger .*partitions \[([\d, ]*)\]/gm,
      )) {
        last.set(
          who!,
          list!
            .split(",")
            .filter((p) => p.trim() !== "")
            .map(Number),
        );
      }
      return last;
    };
    try {
      await waitFor(
        () => {
          const last = owned();
          const all = [...last.values()].flat().sort((a, b) => a - b);
          return last.size === 2 && [...last.values()].every((ps) => ps.length > 0) && all.join() === "0,1,2,3,4,5";
        },
        { timeoutMs: 60_000, message: () => output() },
      );
    } finally {
      child.kill("SIGTERM");
      assert.equal(await exited, 0, output());
      await broker.cleanup();
      app.cleanup();
    }
  });
});
