// The rebalance lab's report: report.json for machines and one self-contained report.html (inline
// CSS and SVG, no scripts): a table of each variant's figures, and per variant a swimlane timeline —
// one lane per member, a bar per partition it owned over time, the lane shaded while its process ran
// (so a stopped member shows as a gap), stop-the-world stalls in red, and a marker for each action of
// the churn (join, leave, crash, restart).
//
// Owner of mutable state: none.
import type { Anomalies } from "../verify.ts";
import { WARMUP_FRACTION } from "../verify-run.ts";
import type { ChurnAction, ChurnKind } from "./schedule.ts";
import type { GapKind, RebalanceFigures } from "./timeline.ts";

/** Times in ms from the start of the measured window. */
export interface VariantTimeline {
  durationMs: number;
  members: {
    member: string;
    /** When its process ran. */
    runs: { fromMs: number; toMs: number }[];
    owned: { partition: number; fromMs: number; toMs: number }[];
  }[];
  markers: { atMs: number; member: string; kind: ChurnKind }[];
  gaps: { partition: number; fromMs: number; toMs: number; kind: GapKind; before: string; after: string | null }[];
}

interface VariantHeader {
  variant: string;
  title: string;
  description: string;
}

export type VariantResult =
  | (VariantHeader & {
      available: true;
      figures: RebalanceFigures;
      /** Issued → applied, after the first tenth of the commands (warm-up). */
      latencyMs: { p50: number; p95: number; p99: number };
      throughputPerSec: number;
      anomalies: Anomalies;
      examples: Partial<Record<keyof Anomalies, string[]>>;
      timeline: VariantTimeline;
      /** Members whose process ended without the lab asking (ms from the start of the churn). */
      unexpectedExits: { member: string; atMs: number; how: string }[];
    })
  | (VariantHeader & { available: false; reason: string });

export interface RebalanceReport {
  generatedAt: string;
  workload: {
    users: number;
    commands: number;
    seed: number;
    partitions: number;
    /** Members at the start of the churn. */
    members: number;
    sessionTimeoutMs: number;
  };
  schedule: { seed: number; actions: ChurnAction[]; durationMs: number };
  variants: VariantResult[];
}

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const formatMs = (ms: number) => ms.toLocaleString("en-US");

/** Total anomalies of every kind (points of drift aside). */
export function anomalyCount(anomalies: Anomalies): number {
  return Object.entries(anomalies)
    .filter(([kind]) => kind !== "balanceDriftPoints")
    .reduce((n, [, count]) => n + count, 0);
}

const markerStyle: Record<ChurnKind, { color: string; symbol: string }> = {
  join: { color: "#15803d", symbol: "▶" },
  leave: { color: "#a16207", symbol: "⏏" },
  crash: { color: "#b91c1c", symbol: "✖" },
  restart: { color: "#1d4ed8", symbol: "↻" },
};

/** Partitions in hues from orange round to violet, leaving red to the stalls. */
const partitionColor = (partition: number, partitions: number) =>
  `hsl(${30 + Math.round((partition * 270) / Math.max(1, partitions))} 60% 52%)`;

/** One variant's swimlanes. */
export function swimlaneSvg(timeline: VariantTimeline, partitions: number, label: string): string {
  const labelWidth = 48;
  const width = 900;
  const barHeight = 5;
  const laneHeight = partitions * barHeight + 14;
  const top = 22;
  const x = (ms: number) => labelWidth + Math.round((ms / Math.max(1, timeline.durationMs)) * width);
  const parts: string[] = [];
  for (let s = 0; s * 1000 <= timeline.durationMs; s += 5) {
    parts.push(
      `<line x1="${x(s * 1000)}" y1="${top - 4}" x2="${x(s * 1000)}" y2="${top + laneHeight * timeline.members.length}" class="tick"/>`,
    );
    parts.push(`<text x="${x(s * 1000)}" y="12" class="axis">${s} s</text>`);
  }
  timeline.members.forEach((lane, i) => {
    const y0 = top + i * laneHeight;
    parts.push(`<g class="lane" data-member="${escapeHtml(lane.member)}">`);
    parts.push(`<text x="0" y="${y0 + laneHeight / 2 + 4}" class="label">${escapeHtml(lane.member)}</text>`);
    for (const run of lane.runs)
      parts.push(
        `<rect class="run" x="${x(run.fromMs)}" y="${y0 + 2}" width="${Math.max(1, x(run.toMs) - x(run.fromMs))}" height="${laneHeight - 4}"><title>${escapeHtml(`${lane.member} running ${formatMs(run.fromMs)}–${formatMs(run.toMs)} ms`)}</title></rect>`,
      );
    for (const bar of lane.owned)
      parts.push(
        `<rect class="owned" x="${x(bar.fromMs)}" y="${y0 + 7 + bar.partition * barHeight}" width="${Math.max(1, x(bar.toMs) - x(bar.fromMs))}" height="${barHeight - 1}" fill="${partitionColor(bar.partition, partitions)}"><title>${escapeHtml(`${lane.member} owns partition ${bar.partition}: ${formatMs(bar.fromMs)}–${formatMs(bar.toMs)} ms`)}</title></rect>`,
      );
    for (const gap of timeline.gaps.filter((g) => g.kind === "stop-the-world" && g.before === lane.member))
      parts.push(
        `<rect class="stall" x="${x(gap.fromMs)}" y="${y0 + 7 + gap.partition * barHeight}" width="${Math.max(1, x(gap.toMs) - x(gap.fromMs))}" height="${barHeight - 1}"><title>${escapeHtml(`partition ${gap.partition} stalled ${formatMs(gap.toMs - gap.fromMs)} ms: not moving, consumed by nobody`)}</title></rect>`,
      );
    for (const marker of timeline.markers.filter((m) => m.member === lane.member)) {
      const style = markerStyle[marker.kind];
      parts.push(
        `<g class="marker" data-kind="${marker.kind}"><line x1="${x(marker.atMs)}" y1="${y0}" x2="${x(marker.atMs)}" y2="${y0 + laneHeight}" stroke="${style.color}"/><text x="${x(marker.atMs) + 2}" y="${y0 + 10}" fill="${style.color}" class="mark">${style.symbol} ${marker.kind}</text><title>${escapeHtml(`${marker.kind} ${marker.member} at ${formatMs(marker.atMs)} ms`)}</title></g>`,
      );
    }
    parts.push("</g>");
  });
  const height = top + laneHeight * timeline.members.length + 4;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(label)}" width="${labelWidth + width + 60}" height="${height}">${parts.join("")}</svg>`;
}

export function renderRebalanceReportHtml(report: RebalanceReport): string {
  const w = report.workload;
  const header =
    "<tr><th>variant</th><th>stop-the-world ms</th><th>stalled partition-ms</th><th>paused ms</th><th>paused partition-ms</th><th>unowned partition-ms</th><th>moves</th><th>redelivered</th><th>p50 ms</th><th>p99 ms</th><th>anomalies</th></tr>";
  const rows = report.variants
    .map((v) =>
      v.available
        ? `<tr data-variant="${escapeHtml(v.variant)}"><th>${escapeHtml(v.title)}</th><td>${formatMs(v.figures.stopTheWorldMs)}</td><td>${formatMs(v.figures.stalledPartitionMs)}</td><td>${formatMs(v.figures.pausedMs)}</td><td>${formatMs(v.figures.pausedPartitionMs)}</td><td>${formatMs(v.figures.unownedPartitionMs)}</td><td>${v.figures.moves}</td><td>${v.figures.redelivered}</td><td>${v.latencyMs.p50}</td><td>${v.latencyMs.p99}</td><td class="${anomalyCount(v.anomalies) === 0 ? "zero" : "bad"}">${anomalyCount(v.anomalies)}</td></tr>`
        : `<tr data-variant="${escapeHtml(v.variant)}"><th>${escapeHtml(v.title)}</th><td colspan="10" class="na">not available: ${escapeHtml(v.reason)}</td></tr>`,
    )
    .join("");
  const sections = report.variants
    .map((v) => {
      if (!v.available)
        return `<section><h2>${escapeHtml(v.title)}</h2><p>${escapeHtml(v.description)}</p><p class="na">Not available: ${escapeHtml(v.reason)}.</p></section>`;
      const members = Object.entries(v.figures.perMember)
        .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
        .map(
          ([member, f]) =>
            `<tr><th>${escapeHtml(member)}</th><td>${formatMs(f.stopTheWorldMs)}</td><td>${formatMs(f.stalledPartitionMs)}</td><td>${formatMs(f.pausedMs)}</td><td>${f.movesIn}</td><td>${f.movesOut}</td><td>${f.redelivered}</td></tr>`,
        )
        .join("");
      const examples = Object.entries(v.examples).flatMap(([kind, list]) =>
        (list ?? []).map((text) => `<li><code>${escapeHtml(kind)}</code> ${escapeHtml(text)}</li>`),
      );
      return `<section><h2>${escapeHtml(v.title)}</h2><p>${escapeHtml(v.description)}</p>
${swimlaneSvg(v.timeline, w.partitions, `${v.title}: who owned which partition when`)}
<table class="members"><thead><tr><th>member</th><th>stop-the-world ms</th><th>stalled partition-ms</th><th>paused ms</th><th>partitions in</th><th>partitions out</th><th>redelivered</th></tr></thead><tbody>${members}</tbody></table>
${v.unexpectedExits.length ? `<p class="bad">Died on their own: ${v.unexpectedExits.map((e) => escapeHtml(`${e.member} (${e.how}) at ${formatMs(e.atMs)} ms`)).join(", ")}.</p>` : ""}
${examples.length ? `<ul>${examples.join("")}</ul>` : '<p class="zero">No anomalies: every command applied once, in order, with the replay\'s outcome.</p>'}</section>`;
    })
    .join("\n");
  const actions = report.schedule.actions
    .map((a) => `${escapeHtml(a.kind)} ${escapeHtml(a.member)} at ${(a.atMs / 1000).toFixed(1)} s`)
    .join(", ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rebalance lab report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d2330;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e7eb;padding:.25rem .5rem;text-align:right}
th:first-child{text-align:left}
.zero{color:#15803d}.bad{color:#b91c1c;font-weight:600}.na{color:#6b7280;text-align:left}
svg{display:block;margin:1rem 0}svg .label{font-size:12px;font-weight:600}svg .axis{font-size:10px;fill:#6b7280}
svg .tick{stroke:#e5e7eb}svg .run{fill:#f1f5f9}svg .stall{fill:#dc2626}svg .mark{font-size:10px}
section{border-top:1px solid #e5e7eb;margin-top:1rem}
</style></head>
<body>
<h1>Rebalance lab</h1>
<p>The same seeded keyed workload (${w.users} users, ${w.commands.toLocaleString("en-US")} commands, seed ${w.seed}, ${w.partitions} partitions, issued through the producer) consumed by ${w.members} ledger members while the same churn happens in every variant: ${actions}. Session timeout ${formatMs(w.sessionTimeoutMs)} ms. Generated ${escapeHtml(report.generatedAt)}.</p>
<p><b>Stop-the-world</b>: the time during which a partition that did not move (the same member owned it before and after, and kept running) was consumed by nobody — wall time during which at least one was stalled, and summed over partitions. <b>Paused</b>: the same for every partition taken from a member that kept running, wherever it went next (an eager rebalance takes all of them; round-robin then deals them out afresh). <b>Moves</b>: partitions that changed owner. <b>Redelivered</b>: commands a member found already applied (delivered twice after a move or crash). Latency: issued → applied, after the first ${WARMUP_FRACTION * 100} % of the commands. Anomalies: the verifier's counts against a sequential replay (all must be zero).</p>
<p>Each timeline has one lane per member, shaded while its process ran; in it one thin row per partition, coloured while the member owned that partition and red while it was stalled (stop-the-world); markers show the churn: ▶ join, ⏏ leave, ✖ crash, ↻ restart. Times are from the start of the churn.</p>
<table id="summary"><thead>${header}</thead><tbody>${rows}</tbody></table>
${sections}
</body></html>
`;
}
