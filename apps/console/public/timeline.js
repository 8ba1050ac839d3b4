// The Rebalance timeline view: one SVG with a shared time axis — a lane for cluster events and the
// console's faults, then per group one lane per member with the partitions it owned over time (one
// stripe per partition, blank where it owned nothing) and a mark at every change, its cause on hover
// and in the numbered list below; plus the filterable list of every event. Redrawn each second while
// shown, except for a few seconds while a tooltip is up (so it stays put under the pointer). Ownership:
// this module owns the last /api/groups answer, the tooltip's state and the filters (in their controls).
import { $, clock, clockMs, esc, every, getJson, suffix } from "./api.js";
import { allEvents, eventItem, isGroupEvent, isInternalTopicEvent, onEvents } from "./events.js";
import { t } from "./strings.js";
import { buildGroupTimeline } from "./timeline-model.js";

const LABEL_WIDTH = 220;
const RIGHT_PAD = 16;
const AXIS_HEIGHT = 22;
const CLUSTER_LANE = 34;
const GROUP_HEAD = 30;
const MARK_STRIP = 16;
const LANE_GAP = 8;
const MIN_SPAN_MS = 60_000;
const SHAPES = {
  "member-joined": "join",
  "static-member-rejoined": "rejoin",
  "member-left": "leave",
  "member-removed": "removed",
  "partitions-assigned": "assigned",
  "partitions-revoked": "revoked",
  "rebalance-started": "rebalance",
  "rebalance-completed": "rebalance",
};

let context;
let groups = [];
let tipShownAt = 0;
const TIP_HOLD_MS = 4000;
/** A tooltip holds the drawing still, but only briefly: a pointer left resting there must not stop it. */
const holding = () => Date.now() - tipShownAt < TIP_HOLD_MS;

export function initTimeline(ctx) {
  context = ctx;
  every(2000, loadGroups, () => ctx.visible("timeline"));
  every(
    1000,
    async () => {
      if (holding()) return;
      hideTip();
      render();
    },
    () => ctx.visible("timeline"),
  );
  ctx.whenShown("timeline", () => {
    render();
    renderEventList();
  });
  onEvents(() => {
    if (!ctx.visible("timeline")) return;
    renderEventList();
    if (!holding()) render();
  });
  $("timeline-window").addEventListener("change", render);
  for (const id of ["event-filter-group", "event-filter-kind", "event-filter-text", "event-filter-internal"])
    $(id).addEventListener("input", renderEventList);
  const drawing = $("timeline-groups");
  drawing.addEventListener("pointerleave", () => {
    tipShownAt = 0;
    hideTip();
  });
  drawing.addEventListener("pointermove", moveTip);
  drawing.addEventListener("mouseover", (event) => highlight(event.target.closest("[data-n]")));
}

async function loadGroups() {
  try {
    groups = await getJson("/api/groups");
    context.report("groups");
  } catch (error) {
    context.report("groups", error);
  }
}

function render() {
  const now = Date.now();
  const windowMs = Number($("timeline-window").value) * 60_000;
  const events = allEvents();
  // A young demo's history fills the window rather than crowding at its right edge.
  const firstTime = events[0]?.time ?? now;
  const since = Math.max(now - windowMs, Math.min(now - MIN_SPAN_MS, firstTime - (now - firstTime) * 0.05));
  const groupIds = new Set(groups.map((g) => g.groupId));
  for (const event of events) if (event.group) groupIds.add(event.group);
  const timelines = [...groupIds].sort().map((groupId) =>
    buildGroupTimeline(
      groupId,
      events.filter((e) => e.group === groupId),
      groups.find((g) => g.groupId === groupId),
      since,
    ),
  );
  const clusterEvents = events.filter(
    (e) => !isGroupEvent(e) && !e.group && !isInternalTopicEvent(e) && e.time >= since,
  );
  const width = Math.max(640, $("timeline-groups").clientWidth);
  const scale = { since, now, x0: LABEL_WIDTH, x1: width - RIGHT_PAD };
  $("timeline-groups").innerHTML =
    timelines.length === 0 && clusterEvents.length === 0
      ? `<p class="muted">${esc(t("timeline.noGroups"))}</p>`
      : drawing(timelines, clusterEvents, scale, width) + timelines.map(changeList).join("");
}

const xOf = (scale, time) =>
  scale.x0 +
  ((Math.min(Math.max(time, scale.since), scale.now) - scale.since) / (scale.now - scale.since)) *
    (scale.x1 - scale.x0);

function drawing(timelines, clusterEvents, scale, width) {
  const parts = [];
  let y = AXIS_HEIGHT;
  parts.push(clusterLane(clusterEvents, scale, y));
  y += CLUSTER_LANE;
  for (const timeline of timelines) {
    const drawn = groupBlock(timeline, scale, y);
    parts.push(drawn.svg);
    y = drawn.bottom;
  }
  const height = y + 6;
  const faults = clusterEvents
    .filter((e) => e.kind === "fault")
    .map((e) => {
      const x = xOf(scale, e.time);
      return `<line class="fault-line" x1="${x}" x2="${x}" y1="${AXIS_HEIGHT}" y2="${height}"/>`;
    })
    .join("");
  return `<svg class="timeline-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">
    ${axis(scale, height)}${faults}${parts.join("")}</svg>`;
}

function axis(scale, height) {
  const span = (scale.now - scale.since) / 1000;
  const pixelsPerSecond = (scale.x1 - scale.x0) / span;
  const step = [5, 10, 15, 30, 60, 120, 300].find((s) => s * pixelsPerSecond >= 90) ?? 600;
  const ticks = [];
  for (let s = Math.ceil(scale.since / 1000 / step) * step; s * 1000 <= scale.now; s += step) {
    const x = xOf(scale, s * 1000);
    if (scale.x1 - x < 50) break; // leave room for "now"
    ticks.push(`<line class="grid" x1="${x}" x2="${x}" y1="${AXIS_HEIGHT - 4}" y2="${height}"/>
      <text class="tick" x="${x}" y="${AXIS_HEIGHT - 8}" text-anchor="middle">${esc(clock(s * 1000))}</text>`);
  }
  return `${ticks.join("")}<text class="tick now" x="${scale.x1}" y="${AXIS_HEIGHT - 8}" text-anchor="end">${esc(t("timeline.now"))}</text>`;
}

const CHAR_WIDTH = 6.4; // of the 11px labels, near enough to truncate them to the room they have

function clusterLane(events, scale, top) {
  const faultXs = events.filter((e) => e.kind === "fault").map((e) => xOf(scale, e.time));
  const marks = events
    .map((e) => {
      const x = xOf(scale, e.time);
      const tip = `${clockMs(e.time)} ${e.kind} — ${e.cause}`;
      const cls =
        e.kind === "fault" ? "fault" : /fenced|shrank/.test(e.kind) && !/unfenced/.test(e.kind) ? "bad" : "info";
      let label = "";
      if (e.kind === "fault") {
        const next = faultXs.find((other) => other > x) ?? scale.x1;
        const room = Math.floor((next - x - 12) / CHAR_WIDTH);
        if (room >= 6)
          label = `<text class="fault-label" x="${x + 7}" y="${top + 24}">${esc(short(e.cause, room))}</text>`;
      }
      return `<g class="mark cluster-mark ${cls}" data-testid="cluster-mark" data-kind="${esc(e.kind)}" data-tip="${esc(tip)}">
        <rect x="${x - 4}" y="${top + 6}" width="8" height="8" transform="rotate(45 ${x} ${top + 10})"/></g>${label}`;
    })
    .join("");
  return `<g class="cluster-lane"><rect class="lane-bg" x="0" y="${top}" width="${scale.x1}" height="${CLUSTER_LANE - 4}"/>
    <text class="lane-title" x="8" y="${top + 19}">${esc(t("timeline.cluster"))}</text>${marks}</g>`;
}

function groupBlock(timeline, scale, top) {
  const svg = [];
  const meta = [
    timeline.protocol,
    timeline.assignor,
    timeline.state,
    timeline.generation === null ? null : t("timeline.generation", { n: timeline.generation }),
  ]
    .filter(Boolean)
    .join(" · ");
  svg.push(`<text class="group-title" x="8" y="${top + 20}">${esc(timeline.groupId)}</text>
    <text class="group-meta" x="${8 + timeline.groupId.length * 9 + 12}" y="${top + 20}">${esc(meta)}</text>`);
  let y = top + GROUP_HEAD;
  const stripe = Math.max(2, Math.min(6, Math.floor(42 / Math.max(1, timeline.parts.length))));
  const laneHeight = Math.max(46, MARK_STRIP + stripe * Math.max(1, timeline.parts.length) + 4);
  const lanes = timeline.lanes.filter(
    (lane) => lane.markers.length > 0 || lane.presence.some((p) => p.end === null || p.end >= scale.since),
  );
  const lanesTop = y;
  const lanesBottom = y + lanes.length * (laneHeight + LANE_GAP);
  // Lane backgrounds, then the rebalances over them, then what each lane owned and its marks.
  for (let i = 0; i < lanes.length; i++) {
    const laneTop = lanesTop + i * (laneHeight + LANE_GAP);
    svg.push(`<rect class="lane-bg" x="0" y="${laneTop}" width="${scale.x1}" height="${laneHeight}"/>`);
  }
  for (const rebalance of timeline.rebalances) {
    if ((rebalance.end ?? scale.now) < scale.since) continue;
    const x0 = xOf(scale, rebalance.start);
    const x1 = Math.max(x0 + 2, xOf(scale, rebalance.end ?? scale.now));
    const tip = `${t("timeline.rebalancing")}${rebalance.generation === null ? "" : ` → ${t("timeline.generation", { n: rebalance.generation })}`}: ${rebalance.cause}`;
    svg.push(`<rect class="rebalance-band" data-testid="rebalance-band" x="${x0}" y="${lanesTop - 4}" width="${x1 - x0}"
      height="${Math.max(8, lanesBottom - lanesTop - LANE_GAP + 8)}" data-tip="${esc(tip)}"/>`);
  }
  for (const lane of lanes) {
    svg.push(laneRow(timeline, lane, scale, y, stripe));
    y += laneHeight + LANE_GAP;
  }
  return {
    svg: `<g class="group-block" data-testid="timeline-${esc(timeline.groupId)}">${svg.join("")}</g>`,
    bottom: y + 6,
  };
}

function laneRow(timeline, lane, scale, top, stripe) {
  const svg = [];
  const current = lane.present;
  const owned = lane.owned.map((part) => part.slice(part.lastIndexOf(":") + 1));
  const status = !current
    ? t("timeline.gone")
    : owned.length
      ? t("timeline.ownsNow", { partitions: owned.join(", ") })
      : t("timeline.ownsNothing");
  const second = [lane.instanceId, `…${suffix(lane.memberId)}`].filter(Boolean).join(" · ");
  svg.push(`<text class="lane-label ${current ? "" : "gone"}" x="8" y="${top + 14}">${esc(lane.clientId ?? lane.key)}</text>
    <text class="lane-sub" x="8" y="${top + 27}">${esc(second)}</text>
    <text class="lane-status" x="8" y="${top + 40}">${esc(status)}</text>`);
  const stripesTop = top + MARK_STRIP;
  for (const span of lane.presence) {
    if ((span.end ?? scale.now) < scale.since) continue;
    const x0 = xOf(scale, span.start);
    const x1 = xOf(scale, span.end ?? scale.now);
    svg.push(
      `<rect class="presence" x="${x0}" y="${stripesTop}" width="${Math.max(1, x1 - x0)}" height="${stripe * timeline.parts.length}"/>`,
    );
  }
  for (const segment of lane.segments) {
    if ((segment.end ?? scale.now) < scale.since) continue;
    const x0 = xOf(scale, segment.start);
    const x1 = Math.max(x0 + 1, xOf(scale, segment.end ?? scale.now));
    const names = segment.parts.map((part) => part.replace(/:(\d+)$/, "-$1")).join(", ");
    const tip = t("timeline.owned", {
      member: lane.clientId ?? lane.key,
      partitions: names,
      from: Number.isFinite(segment.start) ? clock(segment.start) : "…",
      to: segment.end === null ? t("timeline.now") : clock(segment.end),
      seconds: Number.isFinite(segment.start) ? Math.round(((segment.end ?? scale.now) - segment.start) / 1000) : "?",
    });
    const stripes = segment.parts
      .map((part) => {
        const row = timeline.parts.indexOf(part);
        const partition = Number(part.slice(part.lastIndexOf(":") + 1));
        return `<rect class="stripe p${partition % 12}" x="${x0}" y="${stripesTop + row * stripe}" width="${x1 - x0}" height="${stripe}"/>`;
      })
      .join("");
    svg.push(`<g class="segment" data-tip="${esc(tip)}">${stripes}</g>`);
  }
  let lastNumberX = -100;
  for (const change of lane.markers) {
    const x = xOf(scale, change.event.time);
    const kind = change.event.kind;
    const tip = `#${change.n} ${clockMs(change.event.time)} ${kind} — ${change.event.cause}`;
    svg.push(`<g class="mark ${SHAPES[kind] ?? "other"}" data-n="${change.n}" data-group="${esc(timeline.groupId)}" data-testid="mark"
        data-kind="${esc(kind)}" data-member="${esc(change.event.memberId ?? "")}" data-cause="${esc(change.event.cause)}" data-tip="${esc(tip)}">
      ${markShape(kind, x, top + 8)}</g>`);
    if (x - lastNumberX > 16) {
      svg.push(`<text class="mark-number" x="${x + 7}" y="${top + 11}">${change.n}</text>`);
      lastNumberX = x;
    }
    if (kind === "member-removed" || kind === "member-left")
      svg.push(
        `<text class="leave-cause ${kind}" x="${x + 6}" y="${stripesTop + 10}">${esc(short(change.event.cause, 60))}</text>`,
      );
  }
  return `<g class="lane" data-testid="lane-${esc(timeline.groupId)}-${esc(lane.key)}" data-member="${esc(lane.memberId ?? "")}"
    data-client-id="${esc(lane.clientId ?? "")}" data-owned="${esc(owned.join(","))}" data-present="${current}">${svg.join("")}</g>`;
}

function markShape(kind, x, y) {
  switch (SHAPES[kind]) {
    case "join":
    case "rejoin":
      return `<circle cx="${x}" cy="${y}" r="5"/>`;
    case "removed":
      return `<path d="M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}"/><circle class="hit" cx="${x}" cy="${y}" r="6"/>`;
    case "leave":
      return `<rect x="${x - 4}" y="${y - 4}" width="8" height="8"/>`;
    case "assigned":
      return `<path d="M${x} ${y - 5}L${x + 5} ${y + 4}L${x - 5} ${y + 4}Z"/>`;
    case "revoked":
      return `<path d="M${x} ${y + 5}L${x + 5} ${y - 4}L${x - 5} ${y - 4}Z"/>`;
    default:
      return `<circle cx="${x}" cy="${y}" r="3"/>`;
  }
}

const short = (text, length) => {
  const s = String(text ?? "");
  return s.length > length ? `${s.slice(0, length - 1)}…` : s;
};

function changeList(timeline) {
  if (timeline.changes.length === 0) return "";
  const lanes = new Map(timeline.lanes.map((lane) => [lane.key, lane]));
  const items = [...timeline.changes]
    .reverse()
    .map(({ n, event, lane }) => {
      const who = lane ? (lanes.get(lane)?.clientId ?? lane) : "";
      return `<li data-testid="change" data-n="${n}" data-group="${esc(timeline.groupId)}" data-kind="${esc(event.kind)}" data-member="${esc(event.memberId ?? "")}">
        <span class="n">${n}</span><time class="mono">${esc(clockMs(event.time))}</time>
        <span class="kind kind-${esc(event.kind)}">${esc(event.kind)}</span>
        <span class="subject">${esc(who)}${event.memberId ? ` <span class="muted">…${esc(suffix(event.memberId))}</span>` : ""}</span>
        <span class="cause">${esc(event.cause)}</span></li>`;
    })
    .join("");
  return `<details class="changes" open data-testid="changes-${esc(timeline.groupId)}">
    <summary>${esc(t("timeline.changes", { group: timeline.groupId }))} (${timeline.changes.length})</summary>
    <ol class="event-list">${items}</ol></details>`;
}

function highlight(target) {
  for (const element of $("timeline-groups").querySelectorAll(".hl")) element.classList.remove("hl");
  if (!target) return;
  const selector = `[data-n="${target.dataset.n}"][data-group="${CSS.escape(target.dataset.group)}"]`;
  for (const element of $("timeline-groups").querySelectorAll(selector)) element.classList.add("hl");
}

function moveTip(event) {
  const tip = $("timeline-tip") ?? createTip();
  const target = event.target.closest("[data-tip]");
  if (!target) {
    tipShownAt = 0;
    hideTip();
    return;
  }
  if (tip.hidden || tip.textContent !== target.dataset.tip) tipShownAt = Date.now();
  tip.textContent = target.dataset.tip;
  tip.hidden = false;
  const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  tip.style.left = `${x}px`;
  tip.style.top = `${event.clientY + 16}px`;
}

function createTip() {
  const tip = document.createElement("div");
  tip.id = "timeline-tip";
  tip.className = "tooltip";
  tip.dataset.testid = "timeline-tip";
  tip.hidden = true;
  document.body.append(tip);
  return tip;
}

function hideTip() {
  const tip = $("timeline-tip");
  if (tip) tip.hidden = true;
}

function renderEventList() {
  const events = allEvents();
  fillFilter(
    "event-filter-group",
    [...new Set(events.map((e) => e.group).filter(Boolean))].sort(),
    t("events.allGroups"),
  );
  fillFilter("event-filter-kind", [...new Set(events.map((e) => e.kind))].sort(), t("events.allKinds"));
  const group = $("event-filter-group").value;
  const kind = $("event-filter-kind").value;
  const text = $("event-filter-text").value.trim().toLowerCase();
  const internal = $("event-filter-internal").checked;
  const shown = [];
  for (let i = events.length - 1; i >= 0 && shown.length < 400; i--) {
    const e = events[i];
    if (group && e.group !== group) continue;
    if (kind && e.kind !== kind) continue;
    if (!internal && isInternalTopicEvent(e)) continue;
    if (text && !`${e.cause} ${e.clientId ?? ""} ${e.memberId ?? ""}`.toLowerCase().includes(text)) continue;
    shown.push(e);
  }
  $("event-list").innerHTML = shown.length
    ? shown.map(eventItem).join("")
    : `<li class="muted">${esc(t("events.none"))}</li>`;
}

function fillFilter(id, values, allLabel) {
  const select = $(id);
  const have = [...select.options].map((o) => o.value).join("\n");
  const want = ["", ...values].join("\n");
  if (have === want) return;
  const keep = select.value;
  select.innerHTML = `<option value="">${esc(allLabel)}</option>${values.map((v) => `<option>${esc(v)}</option>`).join("")}`;
  select.value = values.includes(keep) ? keep : "";
}
