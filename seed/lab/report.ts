// The lab's report: JSON for machines, and one self-contained HTML page (inline CSS and SVG, no
// scripts or external files) that puts each mode's throughput and latency next to its anomalies.
import type { Anomalies } from "./verify.ts";
import { WARMUP_FRACTION } from "./verify-run.ts";

export interface ModeResult {
  mode: string;
  description: string;
  partitions: number;
  commands: number;
  throughputPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number };
  anomalies: Anomalies;
  examples: Partial<Record<keyof Anomalies, string[]>>;
}

export interface LabReport {
  generatedAt: string;
  workload: {
    users: number;
    commands: number;
    seed: number;
    driver: "http" | "direct";
    rate: number | null;
    concurrency: number;
  };
  modes: ModeResult[];
}

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const anomalyLabels: [keyof Anomalies, string][] = [
  ["outOfOrder", "applied out of order"],
  ["wrongRejections", "deductions wrongly rejected"],
  ["wrongAcceptances", "deductions wrongly applied"],
  ["balanceDrift", "users with a wrong balance"],
  ["balanceDriftPoints", "points of balance drift"],
  ["duplicates", "applied twice"],
  ["lost", "lost"],
  ["unknown", "applied but never issued"],
  ["negativeBalances", "balances below zero"],
  ["accountDrift", "users whose stored balance is wrong"],
];

interface Bar {
  label: string;
  values: { name: string; value: number }[];
}

/** Grouped horizontal bars, one group per mode. */
function barChart(title: string, unit: string, groups: Bar[], colors: string[]): string {
  const rowHeight = 18;
  const labelWidth = 140;
  const chartWidth = 420;
  const max = Math.max(1, ...groups.flatMap((g) => g.values.map((v) => v.value)));
  let y = 28;
  const parts: string[] = [`<text x="0" y="16" class="title">${escapeHtml(title)}</text>`];
  for (const group of groups) {
    parts.push(
      `<text x="0" y="${y + (rowHeight * group.values.length) / 2 + 4}" class="label">${escapeHtml(group.label)}</text>`,
    );
    group.values.forEach((v, i) => {
      const width = Math.max(1, Math.round((v.value / max) * chartWidth));
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${width}" height="${rowHeight - 4}" fill="${colors[i % colors.length]}"><title>${escapeHtml(`${group.label} ${v.name}: ${v.value} ${unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${labelWidth + width + 4}" y="${y + rowHeight - 7}" class="value">${escapeHtml(v.name ? `${v.name} ` : "")}${escapeHtml(formatNumber(v.value))}</text>`,
      );
      y += rowHeight;
    });
    y += 8;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + chartWidth + 120}" height="${y}">${parts.join("")}</svg>`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value)
    ? value.toLocaleString("en-US")
    : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export function renderReportHtml(report: LabReport): string {
  const throughput = barChart(
    "Commands per second (issued → applied)",
    "commands/s",
    report.modes.map((m) => ({ label: m.mode, values: [{ name: "", value: m.throughputPerSec }] })),
    ["#2563eb"],
  );
  const latency = barChart(
    "End-to-end latency, ms (issued → applied)",
    "ms",
    report.modes.map((m) => ({
      label: m.mode,
      values: [
        { name: "p50", value: m.latencyMs.p50 },
        { name: "p95", value: m.latencyMs.p95 },
        { name: "p99", value: m.latencyMs.p99 },
      ],
    })),
    ["#60a5fa", "#2563eb", "#1e3a8a"],
  );
  const anomalyTotal = (m: ModeResult) =>
    anomalyLabels.reduce((n, [k]) => (k === "balanceDriftPoints" ? n : n + m.anomalies[k]), 0);
  const anomalies = barChart(
    "Anomalies (all kinds, points excluded)",
    "anomalies",
    report.modes.map((m) => ({ label: m.mode, values: [{ name: "", value: anomalyTotal(m) }] })),
    ["#b91c1c"],
  );

  const header = `<tr><th>mode</th><th>partitions</th><th>commands</th><th>commands/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>${anomalyLabels.map(([, label]) => `<th>${escapeHtml(label)}</th>`).join("")}</tr>`;
  const rows = report.modes
    .map(
      (m) =>
        `<tr><th>${escapeHtml(m.mode)}</th><td>${m.partitions}</td><td>${formatNumber(m.commands)}</td><td>${formatNumber(m.throughputPerSec)}</td><td>${m.latencyMs.p50}</td><td>${m.latencyMs.p95}</td><td>${m.latencyMs.p99}</td>${anomalyLabels
          .map(([k]) => `<td class="${m.anomalies[k] === 0 ? "zero" : "bad"}">${formatNumber(m.anomalies[k])}</td>`)
          .join("")}</tr>`,
    )
    .join("");
  const details = report.modes
    .map((m) => {
      const examples = Object.entries(m.examples).flatMap(([kind, list]) =>
        (list ?? []).map((text) => `<li><code>${escapeHtml(kind)}</code> ${escapeHtml(text)}</li>`),
      );
      return `<section><h3>${escapeHtml(m.mode)}</h3><p>${escapeHtml(m.description)}</p>${examples.length ? `<ul>${examples.join("")}</ul>` : '<p class="zero">No anomalies.</p>'}</section>`;
    })
    .join("");
  const w = report.workload;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ordering lab report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d2330;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e7eb;padding:.25rem .5rem;text-align:right}
th:first-child{text-align:left}
.zero{color:#15803d}.bad{color:#b91c1c;font-weight:600}
svg{display:block;margin:1rem 0}svg .title{font-weight:600;font-size:14px}svg .label,svg .value{font-size:12px}
section{border-top:1px solid #e5e7eb;margin-top:1rem}
</style></head>
<body>
<h1>Ordering lab</h1>
<p>The same seeded workload (${formatNumber(w.users)} users, ${formatNumber(w.commands)} commands, seed ${w.seed}, driven through ${w.driver === "http" ? "the HTTP API" : "the producer directly"}, concurrency ${w.concurrency}${w.rate ? `, ${formatNumber(w.rate)} commands/s` : ", as fast as it goes"}) run in each mode; the ledger's result compared per user with a sequential replay of the user's commands. Commands/s and latency leave out the first ${WARMUP_FRACTION * 100} % of the commands (warm-up). Generated ${escapeHtml(report.generatedAt)}.</p>
<table id="summary"><thead>${header}</thead><tbody>${rows}</tbody></table>
${throughput}
${latency}
${anomalies}
<h2>What happened in each mode</h2>
${details}
</body></html>
`;
}
