// The rebalance lab's quick run on real systems (per variant a broker and five ledger member
// processes living through the same churn): its report has the documented shape, eager stops the
// world, the other variants stop it less for the same schedule, the ledger stays exactly-once in
// every one, and the HTML report renders in headless Chromium. A variant whose client feature is
// not in the tree is reported as not available.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  rebalanceLabDefaults,
  rebalanceVariants,
  runRebalanceLab,
} from "../../../../seed/lab/rebalance/rebalance-lab.ts";
import type { RebalanceReport, VariantResult } from "../../../../seed/lab/rebalance/rebalance-report.ts";
import { onChromiumPage } from "../../../helpers/chromium.ts";
import { CHROMIUM, needs } from "../../../helpers/system-tools.ts";

describe("npm run lab -- --rebalance --quick", { timeout: 240_000 }, () => {
  const outDir = mkdtempSync(join(tmpdir(), "rebalance-lab-test-"));
  let report: RebalanceReport;
  const lines: string[] = [];

  before(async () => {
    report = await runRebalanceLab({
      ...rebalanceLabDefaults(true),
      seed: 42,
      variants: [...rebalanceVariants],
      outDir,
      log: (line) => lines.push(line),
    });
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  const variant = (name: string): VariantResult => report.variants.find((v) => v.variant === name)!;
  const ran = () => report.variants.filter((v) => v.available);

  it("when the run ends, then report.json has the documented shape: the workload, the schedule and one entry per variant", () => {
    const json = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as RebalanceReport;
    assert.deepEqual(json, JSON.parse(JSON.stringify(report)));
    assert.deepEqual(Object.keys(json).sort(), ["generatedAt", "schedule", "variants", "workload"]);
    assert.deepEqual(
      json.schedule.actions.map((a) => a.kind),
      ["join", "leave", "crash", "restart"],
    );
    assert.deepEqual(
      json.variants.map((v) => v.variant),
      ["eager", "cooperative", "static", "consumer"],
    );
    for (const v of json.variants) {
      if (!v.available) {
        assert.equal(typeof v.reason, "string");
        continue;
      }
      assert.deepEqual(Object.keys(v.figures).sort(), [
        "moves",
        "pausedMs",
        "pausedPartitionMs",
        "perMember",
        "redelivered",
        "stalledPartitionMs",
        "stopTheWorldMs",
        "unownedPartitionMs",
      ]);
      assert.deepEqual(Object.keys(v.figures.perMember).sort(), ["m1", "m2", "m3", "m4", "m5"]);
      for (const member of Object.values(v.figures.perMember))
        assert.deepEqual(Object.keys(member).sort(), [
          "movesIn",
          "movesOut",
          "pausedMs",
          "redelivered",
          "stalledPartitionMs",
          "stopTheWorldMs",
        ]);
      assert.deepEqual(Object.keys(v.latencyMs).sort(), ["p50", "p95", "p99"]);
      assert.ok(v.latencyMs.p50 <= v.latencyMs.p99);
      assert.deepEqual(
        v.timeline.members.map((m) => m.member),
        ["m1", "m2", "m3", "m4", "m5"],
      );
      assert.deepEqual(
        v.timeline.markers.map((m) => `${m.kind} ${m.member}`),
        json.schedule.actions.map((a) => `${a.kind} ${a.member}`),
      );
      // Every member owned something during the churn; the moves add up on both sides.
      for (const lane of v.timeline.members)
        assert.ok(lane.owned.length > 0, `${v.variant}: ${lane.member} owned nothing`);
      const perMember = Object.values(v.figures.perMember);
      assert.equal(
        perMember.reduce((n, m) => n + m.movesIn, 0),
        v.figures.moves,
      );
      assert.equal(
        perMember.reduce((n, m) => n + m.movesOut, 0),
        v.figures.moves,
      );
    }
  });

  it("when eager rebalances happen, then partitions that do not move stop being consumed: a nonzero stop-the-world time", () => {
    const eager = variant("eager");
    assert.ok(eager.available);
    assert.ok(eager.figures.stopTheWorldMs > 0, lines.join("\n"));
    assert.ok(eager.figures.moves > 0);
  });

  it("when the same churn happens to cooperative, static and KIP-848 groups, then each pauses consumption less than eager (a variant the client cannot run yet is reported not available)", () => {
    // Compared on the pause (partition-ms taken from members that kept running, wherever they went
    // next): eager round-robin deals partitions out afresh over random member ids, so which of them
    // happen to come back to their owner — the same-owner stop-the-world — is chance.
    const eager = variant("eager");
    assert.ok(eager.available);
    assert.ok(eager.figures.pausedPartitionMs > 0);
    for (const name of ["cooperative", "static", "consumer"]) {
      const v = variant(name);
      if (!v.available) {
        assert.equal(name, "consumer", `${name} runs: its client feature is in the tree`);
        assert.match(v.reason, /no groupProtocol: "consumer"/);
        continue;
      }
      assert.ok(
        v.figures.pausedPartitionMs < eager.figures.pausedPartitionMs,
        `${name}: ${v.figures.pausedPartitionMs} partition-ms, eager: ${eager.figures.pausedPartitionMs}\n${lines.join("\n")}`,
      );
    }
  });

  it("when the churn is over, then no member died on its own: every exit was the schedule's", () => {
    for (const v of ran())
      assert.ok(v.available && v.unexpectedExits.length === 0, `${v.variant}: ${lines.join("\n")}`);
  });

  it("when the ledger is verified after each churn, then there are zero anomalies everywhere: every command applied once, in order", () => {
    assert.ok(ran().length >= 3);
    for (const v of ran()) {
      assert.ok(v.available);
      for (const [kind, count] of Object.entries(v.anomalies)) assert.equal(count, 0, `${v.variant}: ${kind}`);
    }
  });

  it(
    "when report.html is opened in Chromium, then it shows the summary and a swimlane per variant that ran, a lane per member",
    ...needs(CHROMIUM, async () => {
      await onChromiumPage(
        `file://${join(outDir, "report.html")}`,
        async (page, errors) => {
          assert.equal(await page.title(), "Rebalance lab report");
          assert.equal(await page.locator("#summary tbody tr").count(), 4);
          assert.equal(await page.locator("#summary thead th").count(), 11);
          assert.equal(await page.locator("svg").count(), ran().length);
          assert.equal(await page.locator("svg g.lane").count(), ran().length * 5);
          assert.ok((await page.locator("svg rect.owned").count()) > ran().length * 5);
          assert.equal(await page.locator("svg g.marker").count(), ran().length * 4);
          const box = await page.locator("svg").first().boundingBox();
          assert.ok(box && box.width > 500 && box.height > 100, "the timeline has a size on the page");
          assert.deepEqual(errors, []);
        },
        { consoleErrors: true },
      );
    }),
  );
});
