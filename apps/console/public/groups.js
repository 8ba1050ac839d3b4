// The Groups view: per consumer group its members and their partitions, each partition's committed
// offset, lag in records and in seconds, consumption rate and time to catch up, and a uPlot chart of
// the group's total lag over time. Polls /api/groups each second while shown. Ownership: this module
// owns one card element and one uPlot per group (created once, updated in place).
import { $, clock, duration, esc, every, getJson, num, suffix } from "./api.js";
import { t } from "./strings.js";

const cards = new Map(); // groupId -> { element, plot }
let context;

export function initGroups(ctx) {
  context = ctx;
  every(1000, refresh, () => ctx.visible("groups"));
  ctx.whenShown("groups", refresh);
  window.addEventListener("resize", () => {
    for (const card of cards.values()) card.plot?.setSize(chartSize(card.element));
  });
}

async function refresh() {
  try {
    const groups = await getJson("/api/groups");
    render(groups);
    context.report("groups");
  } catch (error) {
    context.report("groups", error);
  }
}

function render(groups) {
  const list = $("group-list");
  if (groups.length === 0) list.innerHTML = `<div class="card muted">${esc(t("groups.none"))}</div>`;
  else list.querySelector(":scope > .muted")?.remove();
  const wanted = new Set(groups.map((g) => g.groupId));
  for (const [groupId, card] of cards) {
    if (wanted.has(groupId)) continue;
    card.plot?.destroy();
    card.element.remove();
    cards.delete(groupId);
  }
  for (const group of [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId))) {
    let card = cards.get(group.groupId);
    if (!card) {
      card = createCard(group.groupId);
      cards.set(group.groupId, card);
      list.append(card.element);
    }
    fillCard(card, group);
  }
}

function createCard(groupId) {
  const element = document.createElement("div");
  element.className = "card group-card";
  element.dataset.testid = `group-${groupId}`;
  element.innerHTML = `<div class="group-head"></div>
    <div class="group-body">
      <div class="group-tables">
        <h3>${esc(t("groups.members"))}</h3><div class="group-members"></div>
        <h3>${esc(t("groups.partitions"))}</h3><div class="group-partitions"></div>
      </div>
      <div class="group-chart-box"><h3>${esc(t("groups.chart"))}</h3><div class="group-chart" data-testid="lag-chart-${esc(groupId)}"></div></div>
    </div>`;
  return { element, plot: null };
}

function fillCard(card, group) {
  const { element } = card;
  element.dataset.state = group.state;
  element.querySelector(".group-head").innerHTML = `<h2>${esc(group.groupId)}</h2>
    <span class="pill state-${esc(String(group.state).toLowerCase())}">${esc(group.state)}</span>
    <span class="muted small">${esc(t("groups.summary", group))}</span>
    <span class="spacer"></span>
    <span class="total-lag ${group.totalLag > 0 ? "lagging" : ""}" data-testid="total-lag-${esc(group.groupId)}">${esc(t("groups.totalLag", { lag: num(group.totalLag) }))}</span>`;

  const members = group.members
    .map((m) => {
      const owned = Object.entries(m.assignment ?? {})
        .flatMap(([topic, partitions]) => partitions.map((p) => partitionChip(topic, p)))
        .join("");
      return `<tr data-testid="member-${esc(m.memberId)}" data-client-id="${esc(m.clientId)}">
        <td>${esc(m.clientId)}</td><td class="mono small" title="${esc(m.memberId)}">…${esc(suffix(m.memberId, 10))}</td>
        <td>${esc(m.instanceId ?? "—")}</td><td class="small">${esc(m.clientHost)}</td>
        <td class="num">${esc(m.memberEpoch ?? "")}</td><td>${owned || '<span class="muted">—</span>'}</td></tr>`;
    })
    .join("");
  element.querySelector(".group-members").innerHTML = members
    ? `<table><thead><tr><th>${esc(t("col.client"))}</th><th>${esc(t("col.member"))}</th><th>${esc(t("col.instance"))}</th>
        <th>${esc(t("col.host"))}</th><th class="num">${esc(t("col.epoch"))}</th><th>${esc(t("col.owns"))}</th></tr></thead><tbody>${members}</tbody></table>`
    : `<p class="muted">${esc(t("groups.noMembers"))}</p>`;

  const byId = new Map(group.members.map((m) => [m.memberId, m]));
  const partitions = [...group.partitions]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((p) => {
      const owner = p.owner ? byId.get(p.owner) : null;
      return `<tr data-testid="group-partition-${esc(group.groupId)}-${esc(p.topic)}-${p.partition}" data-lag="${esc(p.lag)}" data-owner="${esc(p.owner ?? "")}">
        <td>${partitionChip(p.topic, p.partition)}</td>
        <td>${owner ? `${esc(owner.clientId)} <span class="muted small">…${esc(suffix(owner.memberId))}</span>` : `<span class="muted">${esc(t("groups.unowned"))}</span>`}</td>
        <td class="num mono">${esc(num(p.committed))}</td><td class="num mono">${esc(num(p.highWatermark))}</td>
        <td class="num ${p.lag > 0 ? "lagging" : "ok"}">${esc(num(p.lag))}</td>
        <td class="num">${esc(duration(p.lagSeconds))}</td>
        <td class="num">${p.ratePerSec === null ? "—" : esc(p.ratePerSec.toFixed(1))}</td>
        <td class="num">${esc(catchUp(p))}</td></tr>`;
    })
    .join("");
  element.querySelector(".group-partitions").innerHTML =
    `<table><thead><tr><th>${esc(t("col.partition"))}</th><th>${esc(t("col.owner"))}</th>
      <th class="num">${esc(t("col.committed"))}</th><th class="num">${esc(t("col.hw"))}</th><th class="num">${esc(t("col.lag"))}</th>
      <th class="num">${esc(t("col.lagSeconds"))}</th><th class="num">${esc(t("col.rate"))}</th><th class="num">${esc(t("col.catchUp"))}</th></tr></thead>
      <tbody>${partitions}</tbody></table>`;

  updateChart(card, group.lagHistory ?? []);
}

function catchUp(p) {
  if (!p.lag) return t("groups.caughtUp");
  if (p.catchUpSeconds === null || p.catchUpSeconds === undefined) return t("groups.never");
  return duration(p.catchUpSeconds);
}

/** A partition as a small chip in its own colour, the same colour as in the timeline. */
export function partitionChip(topic, partition) {
  return `<span class="partition-chip p${partition % 12}" title="${esc(topic)}-${partition}">${esc(partition)}</span>`;
}

function chartSize(element) {
  const box = element.querySelector(".group-chart");
  return { width: Math.max(280, box.clientWidth), height: 200 };
}

function updateChart(card, history) {
  const data = [history.map((point) => point.time / 1000), history.map((point) => point.lag)];
  if (card.plot) {
    card.plot.setData(data);
    return;
  }
  if (typeof uPlot === "undefined") return; // the vendor script failed to load; the tables still work
  const box = card.element.querySelector(".group-chart");
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#2563eb";
  card.plot = new uPlot(
    {
      ...chartSize(card.element),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [
        { stroke: "#6b7280", values: (_u, splits) => splits.map((s) => clock(s * 1000)) },
        { stroke: "#6b7280", size: 56 },
      ],
      series: [{}, { label: t("col.lag"), stroke: accent, width: 2, fill: `${accent}22`, points: { show: false } }],
    },
    data,
    box,
  );
}
