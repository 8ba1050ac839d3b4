// A small seeded lab run on real systems (a broker, the ledger and, over HTTP, the points-api per
// mode): keyed has no anomaly of any kind, unkeyed and parallel-unsafe show them, and the report
// is written and renders in headless Chromium.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runLab } from "../../../seed/lab/lab.ts";
import type { LabReport } from "../../../seed/lab/report.ts";
import { onChromiumPage } from "../../helpers/chromium.ts";
import { CHROMIUM, needs } from "../../helpers/system-tools.ts";

describe("npm run lab (small seeded run)", { timeout: 240_000 }, () => {
  const outDir = mkdtempSync(join(tmpdir(), "lab-test-"));
  let report: LabReport;
  const lines: string[] = [];

  before(async () => {
    report = await runLab({
      users: 40,
      commands: 2_000,
      seed: 7,
      driver: "direct",
      concurrency: 4,
      modes: ["keyed", "unkeyed", "parallel-unsafe", "single-partition"],
      outDir,
      log: (line) => lines.push(line),
    });
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  const mode = (name: string) => report.modes.find((m) => m.mode === name)!;

  it("when commands are keyed by userId, then every command is applied once, in order, with the replay's outcomes", () => {
    for (const name of ["keyed", "single-partition"]) {
      const m = mode(name);
      assert.equal(m.commands, 2_000);
      for (const [kind, count] of Object.entries(m.anomalies)) assert.equal(count, 0, `${name}: ${kind}`);
      assert.ok(m.throughputPerSec > 0);
      assert.ok(m.latencyMs.p50 <= m.latencyMs.p95 && m.latencyMs.p95 <= m.latencyMs.p99);
    }
  });

  it("when commands are unkeyed or a partition is consumed by concurrent workers, then order breaks and outcomes differ from the replay, yet nothing is lost or doubled", () => {
    for (const name of ["unkeyed", "parallel-unsafe"]) {
      const { anomalies } = mode(name);
      assert.ok(anomalies.outOfOrder > 0, `${name}: out of order ${anomalies.outOfOrder}`);
      assert.ok(anomalies.wrongRejections + anomalies.wrongAcceptances > 0, `${name}: wrong outcomes`);
      assert.ok(anomalies.balanceDrift > 0, `${name}: balance drift`);
      assert.equal(anomalies.lost, 0, `${name}: lost`);
      assert.equal(anomalies.duplicates, 0, `${name}: duplicates`);
    }
  });

  it("when the run ends, then report.json has the documented shape and report.html is written", () => {
    const json = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as LabReport;
    assert.deepEqual(
      json.modes.map((m) => m.mode),
      ["keyed", "unkeyed", "parallel-unsafe", "single-partition"],
    );
    for (const m of json.modes) {
      assert.deepEqual(Object.keys(m.latencyMs).sort(), ["p50", "p95", "p99"]);
      for (const key of ["outOfOrder", "wrongRejections", "wrongAcceptances", "balanceDrift", "duplicates", "lost"])
        assert.equal(typeof (m.anomalies as any)[key], "number");
    }
    assert.ok(existsSync(join(outDir, "report.html")));
  });

  it(
    "when report.html is opened in Chromium, then it renders its table and charts",
    ...needs(CHROMIUM, async () => {
      await onChromiumPage(
        `file://${join(outDir, "report.html")}`,
        async (page, errors) => {
          assert.equal(await page.title(), "Ordering lab report");
          const rows = await page.locator("#summary tbody tr").allInnerTexts();
          assert.equal(rows.length, 4);
          assert.match(rows[0]!, /^keyed/);
          assert.equal(await page.locator("svg").count(), 3);
          const bars = await page.locator("svg rect").count();
          assert.ok(bars >= 4 * 5, `bars drawn: ${bars}`);
          const box = await page.locator("svg").first().boundingBox();
          assert.ok(box && box.width > 100 && box.height > 50, "the chart has a size on the page");
          assert.deepEqual(errors, []);
        },
        { consoleErrors: true },
      );
    }),
  );
});

describe("npm run lab over HTTP (the default driver)", { timeout: 120_000 }, () => {
  it("when a keyed workload is driven through the points-api, then every command is applied once, in order, with the replay's outcomes", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "lab-http-test-"));
    try {
      const report = await runLab({
        users: 30,
        commands: 600,
        seed: 11,
        driver: "http",
        concurrency: 8,
        modes: ["keyed"],
        outDir,
        log: () => {},
      });
      const [keyed] = report.modes;
      assert.equal(keyed!.commands, 600);
      for (const [kind, count] of Object.entries(keyed!.anomalies)) assert.equal(count, 0, kind);
      assert.ok(keyed!.latencyMs.p99 > 0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
