// The rebalance lab's HTML report from a hand-built report: the summary table (a row per variant,
// "not available" ones included), and per variant a swimlane per member with bars, stalls and
// markers; values are escaped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  anomalyCount,
  type RebalanceReport,
  renderRebalanceReportHtml,
  swimlaneSvg,
  type VariantResult,
  type VariantTimeline,
} from "../../../../seed/lab/rebalance/rebalance-report.ts";
import { noAnomalies } from "../../../../seed/lab/verify.ts";

const timeline: VariantTimeline = {
  durationMs: 10_000,
  members: [
    {
      member: "m1",
      runs: [{ fromMs: 0, toMs: 4000 }],
      owned: [
        { partition: 0, fromMs: 0, toMs: 2000 },
        { partition: 0, fromMs: 2500, toMs: 4000 },
      ],
    },
    {
      member: "m2",
      runs: [
        { fromMs: 0, toMs: 6000 },
        { fromMs: 6500, toMs: 10_000 },
      ],
      owned: [{ partition: 1, fromMs: 0, toMs: 10_000 }],
    },
  ],
  markers: [
    { atMs: 4000, member: "m1", kind: "leave" },
    { atMs: 6000, member: "m2", kind: "restart" },
  ],
  gaps: [{ partition: 0, fromMs: 2000, toMs: 2500, kind: "stop-the-world", before: "m1", after: "m1" }],
};

const eager: VariantResult = {
  variant: "eager",
  title: "classic, eager (round-robin)",
  description: "everyone <stops>",
  available: true,
  figures: {
    stopTheWorldMs: 500,
    stalledPartitionMs: 500,
    pausedMs: 700,
    pausedPartitionMs: 900,
    unownedPartitionMs: 1500,
    moves: 0,
    redelivered: 3,
    perMember: {
      m1: { stopTheWorldMs: 500, pausedMs: 700, stalledPartitionMs: 500, movesIn: 0, movesOut: 0, redelivered: 3 },
      m2: { stopTheWorldMs: 0, pausedMs: 0, stalledPartitionMs: 0, movesIn: 0, movesOut: 0, redelivered: 0 },
    },
  },
  latencyMs: { p50: 12, p95: 40, p99: 85 },
  throughputPerSec: 100,
  anomalies: noAnomalies(),
  examples: {},
  timeline,
  unexpectedExits: [],
};

const consumer: VariantResult = {
  variant: "consumer",
  title: "KIP-848 consumer protocol",
  description: "no barrier",
  available: false,
  reason: 'no groupProtocol: "consumer"',
};

const report: RebalanceReport = {
  generatedAt: "2026-01-01T10:00:00.000Z",
  workload: { users: 10, commands: 100, seed: 42, partitions: 2, members: 4, sessionTimeoutMs: 6000 },
  schedule: {
    seed: 42,
    actions: [{ atMs: 4000, kind: "leave", member: "m1" }],
    durationMs: 10_000,
  },
  variants: [eager, consumer],
};

describe("rebalance report", () => {
  it("when rendered, then the summary has a row per variant, with its figures or why it is not available", () => {
    const html = renderRebalanceReportHtml(report);
    assert.match(html, /<title>Rebalance lab report<\/title>/);
    const rows = [...html.matchAll(/<tr data-variant="([^"]+)">(.*?)<\/tr>/gs)].map((m) => [
      m[1],
      m[2]!
        .replace(/<[^>]+>/g, "|")
        .split("|")
        .filter((c) => c !== ""),
    ]);
    assert.deepEqual(rows, [
      ["eager", ["classic, eager (round-robin)", "500", "500", "700", "900", "1,500", "0", "3", "12", "85", "0"]],
      ["consumer", ["KIP-848 consumer protocol", "not available: no groupProtocol: &quot;consumer&quot;"]],
    ]);
    assert.match(html, /everyone &lt;stops&gt;/);
    assert.match(html, /leave m1 at 4\.0 s/);
    assert.match(html, /No anomalies/);
  });

  it("when a timeline is drawn, then each member has a lane with its runs, a bar per owned interval, its stalls and its markers", () => {
    const svg = swimlaneSvg(timeline, 2, "eager");
    const lanes = [...svg.matchAll(/<g class="lane" data-member="(m\d)">(.*?)<\/g>(?=<g class="lane"|<\/svg>)/gs)];
    assert.deepEqual(
      lanes.map((l) => l[1]),
      ["m1", "m2"],
    );
    const count = (text: string, cls: string) => text.split(`class="${cls}"`).length - 1;
    assert.deepEqual(
      lanes.map((l) => [count(l[2]!, "run"), count(l[2]!, "owned"), count(l[2]!, "stall"), count(l[2]!, "marker")]),
      [
        [1, 2, 1, 1],
        [2, 1, 0, 1],
      ],
    );
    assert.match(svg, /data-kind="restart"/);
    assert.match(svg, /partition 0 stalled 500 ms/);
  });

  it("when anomalies are counted, then every kind counts except the points of drift", () => {
    assert.equal(anomalyCount(noAnomalies()), 0);
    assert.equal(anomalyCount({ ...noAnomalies(), lost: 2, duplicates: 1, balanceDriftPoints: 900 }), 3);
  });
});
