// The Cluster view: the brokers (up / fenced / paused / down, controller, voter), the controller quorum,
// and per topic a grid of partitions × brokers showing who leads, who follows, who is in the ISR and
// how far each replica's log end offset is behind the high watermark. Polls /api/cluster each second
// while shown. Ownership: this module owns the leaders it saw last (to mark a leader that just moved).
import { $, bytes, configValue, esc, every, getJson, num } from "./api.js";
import { allEvents, eventItem, isGroupEvent, isInternalTopicEvent, onEvents } from "./events.js";
import { t } from "./strings.js";

const CHANGE_HIGHLIGHT_MS = 5000;
const lastLeader = new Map(); // "topic/partition" -> { leader, changedAt }
const openInternal = new Set(); // internal topics whose <details> the user opened
let context;

export function initCluster(ctx) {
  context = ctx;
  every(1000, refresh, () => ctx.visible("cluster"));
  ctx.whenShown("cluster", () => {
    refresh();
    renderRecentEvents(allEvents());
  });
  onEvents((events) => {
    if (ctx.visible("cluster")) renderRecentEvents(events);
  });
  $("partition-grids").addEventListener(
    "toggle",
    (event) => {
      const topic = event.target.dataset?.topic;
      if (!topic) return;
      if (event.target.open) openInternal.add(topic);
      else openInternal.delete(topic);
    },
    true,
  );
}

async function refresh() {
  try {
    const cluster = await getJson("/api/cluster");
    renderBrokers(cluster.brokers);
    renderQuorum(cluster.quorum, cluster.brokers);
    renderGrids(cluster);
    context.report("cluster");
  } catch (error) {
    context.report("cluster", error);
  }
}

function renderBrokers(brokers) {
  $("brokers").innerHTML = brokers
    .map((b) => {
      const badges = [
        b.controller ? `<span class="badge controller">${esc(t("broker.controller"))}</span>` : "",
        `<span class="badge">${esc(t(b.voter ? "broker.voter" : "broker.observer"))}</span>`,
      ].join("");
      return `<div class="broker status-${esc(b.status)}" data-testid="broker-${esc(b.id)}" data-status="${esc(b.status)}"
          data-controller="${b.controller}" data-voter="${b.voter}">
        <div class="broker-head"><strong>${esc(t("broker.label", { id: b.id }))}</strong>
          <span class="pill status-${esc(b.status)}">${esc(t(`broker.${b.status}`))}</span></div>
        <div class="small mono">${esc(b.listener)}${b.pid ? ` · pid ${esc(b.pid)}` : ""}</div>
        <div class="badges">${badges}</div>
      </div>`;
    })
    .join("");
}

function renderQuorum(quorum, brokers) {
  if (!quorum) {
    $("quorum").textContent = t("quorum.none");
    return;
  }
  const voters = quorum.voters
    .map((v) => {
      const status = brokers.find((b) => b.id === v.id)?.status ?? "down";
      const lag = v.lagRecords === null ? "—" : v.lagRecords;
      return `<span class="voter status-${esc(status)}">${esc(t("broker.label", { id: v.id }))}${v.id === quorum.leaderId ? " ★" : ""} · ${esc(t("quorum.lag", { lag }))}</span>`;
    })
    .join("");
  $("quorum").innerHTML = `<strong>${esc(t("cluster.quorum"))}</strong>: ${esc(
    t("quorum.leader", { id: quorum.leaderId ?? "—", epoch: quorum.leaderEpoch, hw: quorum.highWatermark }),
  )} ${voters}`;
}

function renderGrids(cluster) {
  const brokerIds = cluster.brokers.map((b) => b.id).sort((a, b) => a - b);
  const statusOf = new Map(cluster.brokers.map((b) => [b.id, b.status]));
  const topics = [...cluster.topics].sort(
    (a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name),
  );
  const now = Date.now();
  $("partition-grids").innerHTML = topics
    .map((topic) => {
      const grid = gridOf(topic, brokerIds, statusOf, now);
      const under = topic.partitions.filter((p) => p.underReplicated).length;
      const size = topic.partitions.reduce((sum, p) => sum + Number(p.bytes ?? 0), 0);
      const title = `<span class="topic-name">${esc(topic.name)}</span>
        <span class="muted small">${esc(t("cluster.partitionCount", { n: topic.partitions.length }))} · ${esc(bytes(size))}</span>
        ${under ? `<span class="pill warn">${under} ${esc(t("underReplicated"))}</span>` : ""}`;
      if (topic.internal)
        return `<details class="topic-grid" data-topic="${esc(topic.name)}" data-testid="grid-${esc(topic.name)}"${openInternal.has(topic.name) ? " open" : ""}>
          <summary>${title} <span class="muted small">(${esc(t("cluster.internal"))})</span></summary>${grid}</details>`;
      return `<div class="topic-grid" data-testid="grid-${esc(topic.name)}"><h3>${title}</h3>${grid}</div>`;
    })
    .join("");
}

function gridOf(topic, brokerIds, statusOf, now) {
  // A lag bar is scaled to the replica furthest behind in this topic (at least 100 records), so a
  // follower coming back visibly fills up as it catches up.
  let worst = 100;
  for (const p of topic.partitions)
    for (const r of p.replicaOffsets ?? [])
      if (Number(r.logEndOffset) >= 0) worst = Math.max(worst, Number(p.highWatermark) - Number(r.logEndOffset));
  const head = brokerIds
    .map((id) => `<th class="broker-col status-${esc(statusOf.get(id))}">${esc(t("broker.label", { id }))}</th>`)
    .join("");
  const rows = [...topic.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((p) => {
      const key = `${topic.name}/${p.partition}`;
      const seen = lastLeader.get(key);
      if (!seen || seen.leader !== p.leader) lastLeader.set(key, { leader: p.leader, changedAt: seen ? now : 0 });
      const moved = now - (lastLeader.get(key)?.changedAt ?? 0) < CHANGE_HIGHLIGHT_MS;
      const cells = brokerIds.map((id) => replicaCell(topic.name, p, id, statusOf.get(id), worst, moved)).join("");
      const noLeader = p.leader === null || p.leader < 0;
      return `<tr class="${p.underReplicated ? "under" : ""}" data-testid="partition-${esc(topic.name)}-${p.partition}"
          data-leader="${esc(p.leader)}" data-isr="${esc(p.isr.join(","))}" data-replicas="${esc(p.replicas.join(","))}"
          data-under-replicated="${p.underReplicated}">
        <th class="num">${p.partition}</th>
        <td class="num ${noLeader ? "bad" : ""}">${noLeader ? esc(t("cell.noLeader")) : esc(p.leader)}<span class="muted small"> e${esc(p.leaderEpoch)}</span></td>
        ${cells}
        <td class="num mono">${esc(num(p.highWatermark))}</td>
        <td class="mono">${esc(p.isr.join(", "))}</td>
        <td class="num">${esc(bytes(p.bytes))}</td>
      </tr>`;
    })
    .join("");
  const configs = Object.entries(topic.configs ?? {})
    .map(([k, v]) => `<span class="config"><span class="muted">${esc(k)}</span> ${esc(configValue(k, v))}</span>`)
    .join("");
  return `<table class="grid">
      <thead><tr><th class="num">${esc(t("col.partition"))}</th><th class="num">${esc(t("col.leader"))}</th>${head}
        <th class="num">${esc(t("col.hw"))}</th><th>${esc(t("col.isr"))}</th><th class="num">${esc(t("col.size"))}</th></tr></thead>
      <tbody>${rows}</tbody></table>
    <div class="configs small">${configs}</div>`;
}

function replicaCell(topic, p, broker, brokerStatus, worst, leaderMoved) {
  const testid = `replica-${esc(topic)}-${p.partition}-${broker}`;
  if (!p.replicas.includes(broker))
    return `<td class="replica none" data-testid="${testid}" data-role="none" title="${esc(t("cell.notReplica"))}">—</td>`;
  const leader = p.leader === broker;
  const inIsr = p.isr.includes(broker);
  const offsets = (p.replicaOffsets ?? []).find((r) => r.broker === broker);
  // A broker that does not answer has no log end offset to show (the API says -1, or nothing).
  const leo = offsets && Number(offsets.logEndOffset) >= 0 ? Number(offsets.logEndOffset) : null;
  const offline = brokerStatus !== "up";
  const behind = leo === null ? null : Math.max(0, Number(p.highWatermark) - leo);
  const fill = behind === null ? 0 : Math.max(0.02, 1 - behind / worst);
  const role = leader ? "leader" : "follower";
  const symbol = leader ? "★" : inIsr ? "●" : "○";
  const words = [t(leader ? "cell.leader" : "cell.follower"), inIsr ? "ISR" : t("cell.outOfSync")];
  if (leo !== null) words.push(`LEO ${leo}`, `HW ${offsets.highWatermark}`);
  if (offline) words.push(t(`broker.${brokerStatus}`));
  return `<td class="replica ${role} ${inIsr ? "in-isr" : "out-isr"} ${leader && leaderMoved ? "moved" : ""} ${offline ? "offline" : ""}"
      data-testid="${testid}" data-role="${role}" data-in-isr="${inIsr}" data-leo="${esc(leo ?? "")}" title="${esc(words.join(" · "))}">
      <div class="replica-line"><span class="symbol">${symbol}</span><span class="mono">${leo === null ? "?" : esc(num(leo))}</span>
        ${behind ? `<span class="behind">−${esc(num(behind))}</span>` : ""}</div>
      <div class="bar"><span style="width:${(fill * 100).toFixed(1)}%"></span></div>
    </td>`;
}

function renderRecentEvents(events) {
  const recent = events
    .filter((e) => !isGroupEvent(e) && !isInternalTopicEvent(e))
    .slice(-15)
    .reverse();
  $("cluster-events").innerHTML = recent.map(eventItem).join("");
}
