// The scaling lab's report from a hand-built one: the chart's data (a measured and an ideal line
// per partition count, gaps where a cell was not run), a table row per run with who owns what and
// idle members marked, uPlot inlined so the file opens alone, values escaped; and in Chromium the
// chart draws without errors.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { CellResult } from "../../../../seed/lab/scaling/measure.ts";
import { chartData, renderScalingReportHtml, type ScalingReport } from "../../../../seed/lab/scaling/scaling-report.ts";
import { onChromiumPage } from "../../../helpers/chromium.ts";
import { CHROMIUM, needs } from "../../../helpers/system-tools.ts";

function cell(partitions: number, members: number, throughputPerSec: number, outOfOrder = 0): CellResult {
  const perMember = Array.from({ length: members }, (_, i) => ({
    member: `m${i + 1}`,
    partitions: Array.from({ length: partitions }, (_, p) => p).filter((p) => p % members === i),
    recordsInWindow: 10,
  }));
  return {
    partitions,
    members,
    joinMs: 1_200,
    windowMs: 2_000,
    recordsInWindow: throughputPerSec * 2,
    throughputPerSec,
    idealPerSec: Math.min(members, partitions) * 100,
    perMember,
    idleMembers: perMember.filter((m) => m.partitions.length === 0).map((m) => m.member),
    drainedPartitions: [],
    order: {
      commands: 500,
      users: 40,
      outOfOrder,
      redelivered: 0,
      examples: outOfOrder ? ["<user>: command #2 consumed before #1"] : [],
    },
  };
}

const report: ScalingReport = {
  generatedAt: "2026-12-03T20:00:00.000Z",
  settings: {
    ioMs: 10,
    windowMs: 2_000,
    seed: 42,
    topics: [
      { topic: "scaling.p3", partitions: 3, records: 3000, users: 120 },
      { topic: "scaling.p6", partitions: 6, records: 6000, users: 240 },
    ],
  },
  cells: [cell(6, 1, 98), cell(6, 6, 580), cell(6, 8, 575), cell(3, 6, 290)],
};

describe("scaling lab report", () => {
  it("when the chart's data is built, then x is the member counts run and each partition count has a measured line (null where not run) and an ideal one", () => {
    const { members, series } = chartData(report);
    assert.deepEqual(members, [1, 6, 8]);
    assert.deepEqual(
      series.map((s) => [s.label, s.values]),
      [
        ["3 partitions", [null, 290, null]],
        ["3 partitions, ideal", [100, 300, 300]],
        ["6 partitions", [98, 580, 575]],
        ["6 partitions, ideal", [100, 600, 600]],
      ],
    );
  });

  it("when the HTML is rendered, then it has a row per run, idle members marked, uPlot inline and nothing fetched from elsewhere", () => {
    const html = renderScalingReportHtml(report);
    assert.equal(html.match(/<tr data-members=/g)?.length, 4);
    assert.match(html, /<tr data-members="8" data-partitions="6">.*m7: idle.*m8: idle/);
    assert.match(html, /<td class="idle-count">2<\/td>/);
    assert.match(html, /uPlot/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
    assert.match(html, /No order anomalies/);
  });

  it("when a run had order anomalies, then they are shown, escaped", () => {
    const html = renderScalingReportHtml({ ...report, cells: [cell(6, 6, 580, 1)] });
    assert.match(html, /&lt;user&gt;: command #2 consumed before #1/);
    assert.match(html, /<td class="bad">1<\/td>/);
  });

  it(
    "when report.html is opened from the file in Chromium, then uPlot draws the chart with its legend and the page has no errors",
    ...needs(CHROMIUM, async () => {
      const dir = mkdtempSync(join(tmpdir(), "scaling-report-"));
      try {
        writeFileSync(join(dir, "report.html"), renderScalingReportHtml(report));
        await onChromiumPage(
          `file://${join(dir, "report.html")}`,
          async (page, errors) => {
            assert.equal(await page.title(), "Scaling lab report");
            assert.equal(await page.locator("#chart canvas").count(), 1);
            const legend = await page.locator("#chart .u-legend .u-series").allTextContents();
            assert.ok(
              legend.some((l) => l.includes("6 partitions")),
              legend.join(" | "),
            );
            const box = await page.locator("#chart canvas").boundingBox();
            assert.ok(box && box.width > 300 && box.height > 200, "the chart has a size on the page");
            assert.equal(await page.locator("#cells tbody tr").count(), 4);
            assert.deepEqual(errors, []);
          },
          { consoleErrors: true },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
});
