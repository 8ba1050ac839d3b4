import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LabReport, type ModeResult, renderReportHtml } from "../../../seed/lab/report.ts";
import { verify } from "../../../seed/lab/verify.ts";

/** What the verifier finds in a run without anomalies: every count 0. */
const none = verify([], []).anomalies;

const keyed: ModeResult = {
  mode: "keyed",
  description: "key = userId",
  partitions: 6,
  commands: 12_000,
  throughputPerSec: 1234.567,
  latencyMs: { p50: 12, p95: 40, p99: 85 },
  anomalies: none,
  examples: {},
};

const unkeyed: ModeResult = {
  mode: "unkeyed",
  description: "no key <b>at all</b>",
  partitions: 6,
  commands: 12_000,
  throughputPerSec: 617,
  latencyMs: { p50: 10, p95: 35, p99: 70 },
  anomalies: { ...none, outOfOrder: 3, balanceDrift: 2, balanceDriftPoints: 900, unknown: 1 },
  examples: { outOfOrder: ["user-0003: c-7 applied after c-9 & c-8"] },
};

const report = (over: Partial<LabReport["workload"]> = {}, modes = [keyed, unkeyed]): LabReport => ({
  generatedAt: "2026-01-01T10:00:00.000Z",
  workload: { users: 100, commands: 12_000, seed: 42, driver: "http", rate: null, concurrency: 16, ...over },
  modes,
});

/** The cells of the summary table's body rows, tags stripped. */
function summaryRows(html: string): string[][] {
  const body = /<table id="summary">.*?<tbody>(.*?)<\/tbody>/s.exec(html)![1]!;
  return [...body.matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((cell) => cell[1]!),
  );
}

describe("the lab's HTML report", () => {
  it("when modes are reported, then the summary has a row per mode: throughput, latency and every kind of anomaly", () => {
    assert.deepEqual(summaryRows(renderReportHtml(report())), [
      ["keyed", "6", "12,000", "1,234.57", "12", "40", "85", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
      ["unkeyed", "6", "12,000", "617", "10", "35", "70", "3", "0", "0", "2", "900", "0", "0", "1", "0", "0"],
    ]);
  });

  it("when a count is an anomaly, then its cell is marked bad; a zero is marked as such", () => {
    const html = renderReportHtml(report());
    assert.match(html, /<td class="bad">3<\/td>/);
    assert.match(html, /<td class="zero">0<\/td>/);
  });

  it("when a mode has examples, then they are listed under it; without any, then it says there were no anomalies", () => {
    const html = renderReportHtml(report());
    assert.match(html, /<h3>keyed<\/h3><p>key = userId<\/p><p class="zero">No anomalies\.<\/p>/);
    assert.match(html, /<li><code>outOfOrder<\/code> user-0003: c-7 applied after c-9 &amp; c-8<\/li>/);
  });

  it("when text comes from the run, then it is escaped, and the page has no script and loads nothing", () => {
    const html = renderReportHtml(report());
    assert.match(html, /no key &lt;b&gt;at all&lt;\/b&gt;/);
    assert.doesNotMatch(html, /<b>at all/);
    assert.doesNotMatch(html, /<script|<link|\ssrc=|@import/i);
  });

  it("when the workload is described, then the driver, the rate and the warm-up left out", () => {
    const http = renderReportHtml(report());
    assert.match(
      http,
      /100 users, 12,000 commands, seed 42, driven through the HTTP API, concurrency 16, as fast as it goes/,
    );
    assert.match(http, /leave out the first 10 % of the commands/);
    const direct = renderReportHtml(report({ driver: "direct", rate: 500 }));
    assert.match(direct, /driven through the producer directly, concurrency 16, 500 commands\/s/);
  });

  it("when charts are drawn, then throughput, latency and anomalies, bars scaled to the largest value", () => {
    const html = renderReportHtml(report());
    const charts = [...html.matchAll(/<svg [^>]*aria-label="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(charts, [
      "Commands per second (issued → applied)",
      "End-to-end latency, ms (issued → applied)",
      "Anomalies (all kinds, points excluded)",
    ]);
    const throughputBars = /<svg[^>]*aria-label="Commands per second[^"]*"[^>]*>(.*?)<\/svg>/s.exec(html)![1]!;
    const widths = [...throughputBars.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(widths, [420, Math.round((617 / 1234.567) * 420)]);
    // Anomalies count every kind but the drift in points: 3 out of order + 2 users drifted.
    assert.match(html, /<title>unkeyed : 6 anomalies<\/title>/);
  });
});
