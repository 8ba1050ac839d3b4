// The scaling lab's report: report.json for machines, and one report.html that opens from the file
// alone — uPlot's script and stylesheet are inlined — with a chart of records/s against members, a
// line per partition count (solid: measured, dashed: the ideal min(members, partitions) × 1000 / the
// I/O wait), and a table per run: who owned which partitions (members beyond the partition count
// shown idle) next to the per-user order check.
//
// Owner of mutable state: none.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { CellResult } from "./measure.ts";

export interface ScalingReport {
  generatedAt: string;
  settings: {
    ioMs: number;
    windowMs: number;
    seed: number;
    topics: { topic: string; partitions: number; records: number; users: number }[];
  };
  cells: CellResult[];
}

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const require = createRequire(import.meta.url);
const uplotAsset = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");

const seriesColors = ["#64748b", "#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c"];

/** uPlot's data and series: x = member counts, per partition count a measured and an ideal line. */
export function chartData(report: ScalingReport): {
  members: number[];
  series: { label: string; partitions: number; ideal: boolean; values: (number | null)[] }[];
} {
  const members = [...new Set(report.cells.map((c) => c.members))].sort((a, b) => a - b);
  const partitionCounts = [...new Set(report.cells.map((c) => c.partitions))].sort((a, b) => a - b);
  const series = partitionCounts.flatMap((partitions) => {
    const cellAt = (m: number) => report.cells.find((c) => c.partitions === partitions && c.members === m);
    return [
      {
        label: `${partitions} partition${partitions === 1 ? "" : "s"}`,
        partitions,
        ideal: false,
        values: members.map((m) => cellAt(m)?.throughputPerSec ?? null),
      },
      {
        label: `${partitions} partition${partitions === 1 ? "" : "s"}, ideal`,
        partitions,
        ideal: true,
        values: members.map((m) => Math.round((Math.min(m, partitions) * 1000) / report.settings.ioMs)),
      },
    ];
  });
  return { members, series };
}

function ownershipCell(cell: CellResult): string {
  return cell.perMember
    .map((m) =>
      m.partitions.length
        ? `<span class="member" title="${escapeHtml(`${m.recordsInWindow} commands in the window`)}">${escapeHtml(m.member)}: ${m.partitions.join(", ")}</span>`
        : `<span class="member idle" title="owns nothing">${escapeHtml(m.member)}: idle</span>`,
    )
    .join(" ");
}

function cellRow(cell: CellResult): string {
  const anomalies = cell.order.outOfOrder;
  const efficiency = Math.round((cell.throughputPerSec / Math.max(1, cell.idealPerSec)) * 100);
  return `<tr data-members="${cell.members}" data-partitions="${cell.partitions}"><td>${cell.members}</td><td>${cell.partitions}</td><td>${cell.throughputPerSec.toLocaleString("en-US")}</td><td>${cell.idealPerSec.toLocaleString("en-US")}</td><td>${efficiency} %</td><td>${(cell.joinMs / 1000).toFixed(1)} s</td><td class="idle-count">${cell.idleMembers.length}</td><td class="owners">${ownershipCell(cell)}</td><td>${cell.order.commands.toLocaleString("en-US")}</td><td class="${anomalies === 0 ? "zero" : "bad"}">${anomalies}</td><td>${cell.order.redelivered}</td><td class="${cell.drainedPartitions.length ? "bad" : ""}">${cell.drainedPartitions.join(", ") || "—"}</td></tr>`;
}

export function renderScalingReportHtml(report: ScalingReport): string {
  const s = report.settings;
  const { members, series } = chartData(report);
  const colorOf = (partitions: number) =>
    seriesColors[[...new Set(series.map((x) => x.partitions))].indexOf(partitions) % seriesColors.length]!;
  const chart = {
    members,
    series: series.map((x) => ({ label: x.label, color: colorOf(x.partitions), ideal: x.ideal, values: x.values })),
  };
  // JSON inside a script element: "<" escaped so no value can close the element.
  const chartJson = JSON.stringify(chart).replace(/</g, "\\u003c");
  const examples = report.cells.flatMap((c) =>
    c.order.examples.map((e) => `<li>${c.members} members on ${c.partitions} partitions: ${escapeHtml(e)}</li>`),
  );
  const topics = s.topics
    .map((t) => `${escapeHtml(t.topic)} (${t.records.toLocaleString("en-US")} commands of ${t.users} users)`)
    .join(", ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scaling lab report</title>
<style>${uplotAsset("uPlot.min.css")}</style>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d2330;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e7eb;padding:.25rem .5rem;text-align:right;vertical-align:top}
td.owners{text-align:left;max-width:420px}
.member{display:inline-block;margin:0 .4rem .1rem 0;padding:0 .3rem;border-radius:3px;background:#e0f2fe}
.member.idle{background:#f1f5f9;color:#6b7280}
.zero{color:#15803d}.bad{color:#b91c1c;font-weight:600}
#chart{margin:1rem 0}
</style></head>
<body>
<h1>Scaling lab</h1>
<p>Throughput of a ledger-like consumer group as members and partitions grow. Each member handles one command at a time, and handling one is a timer wait of <b>${s.ioMs} ms</b> (a call to a payment system, say), so one member does at most ${Math.round(1000 / s.ioMs)} commands/s whatever the machine's cores, and a group can only do more with more members, each owning partitions of its own: a partition is never shared, so throughput follows min(members, partitions) and members beyond the partition count own nothing. Commands are keyed by userId and produced up front (${topics}; seed ${s.seed}); each group starts from the beginning and is measured for ${(s.windowMs / 1000).toFixed(1)} s once it is stable (joining is not counted). Generated ${escapeHtml(report.generatedAt)}.</p>
<div id="chart"></div>
<p>Order check: every user's commands must be consumed in the order they were produced (out of order must be 0). Redelivered: a command consumed again, as after a partition moves with its last offsets uncommitted (at-least-once). Drained: a partition whose records ran out before the window ended (the figure would understate the group).</p>
<table id="cells"><thead><tr><th>members</th><th>partitions</th><th>records/s</th><th>ideal</th><th>of ideal</th><th>joined in</th><th>idle</th><th>who owns what</th><th>commands checked</th><th>out of order</th><th>redelivered</th><th>drained</th></tr></thead>
<tbody>${report.cells.map(cellRow).join("")}</tbody></table>
${examples.length ? `<ul class="bad">${examples.join("")}</ul>` : '<p class="zero">No order anomalies: every user\'s commands were consumed in the order they were produced.</p>'}
<script>${uplotAsset("uPlot.iife.min.js")}</script>
<script type="application/json" id="chart-data">${chartJson}</script>
<script>
(() => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const opts = {
    title: "records/s by members",
    width: Math.min(1000, document.body.clientWidth),
    height: 380,
    scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.ceil(max * 1.1)] } },
    // Whole members only on the x axis.
    axes: [{ label: "members", incrs: [1, 2] }, { label: "records/s", size: 70 }],
    series: [
      { label: "members" },
      ...data.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.ideal ? 1 : 2,
        dash: s.ideal ? [5, 5] : undefined,
        points: { show: !s.ideal },
        spanGaps: true,
      })),
    ],
  };
  new uPlot(opts, [data.members, ...data.series.map((s) => s.values)], document.getElementById("chart"));
})();
</script>
</body></html>
`;
}
