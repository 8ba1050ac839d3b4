// The Faults view: buttons that really kill -9, restart, pause and resume brokers, stall, freeze or
// remove a ledger instance, add one, and grow points.commands after a preview of the users whose key
// moves to another partition. Every answer (or the server's 403/4xx message) is shown in the log.
// The token comes from `?token=` once and is kept in sessionStorage. Ownership: this module owns the
// log of answers and the last growth preview.
import { $, clock, esc, every, getJson, postJson } from "./api.js";
import { t } from "./strings.js";

const TOKEN_KEY = "console-token";
const GROWTH_TOPIC = "points.commands";
let context;
let preview = null;
let currentPartitions = null;

export function initFaults(ctx) {
  context = ctx;
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
  $("fault-token").value = sessionStorage.getItem(TOKEN_KEY) ?? "";
  $("fault-token").addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, $("fault-token").value.trim()));
  if (!ctx.overview.faultsEnabled) {
    $("faults-disabled").hidden = false;
    $("fault-controls").disabled = true;
    $("fault-token").disabled = true;
  }
  every(1500, refresh, () => ctx.visible("faults"));
  ctx.whenShown("faults", refresh);
  $("fault-brokers").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(`/api/faults/brokers/${button.dataset.broker}/${button.dataset.action}`, button);
  });
  $("fault-ledger").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(`/api/faults/ledger/${encodeURIComponent(button.dataset.label)}/${button.dataset.action}`, button);
  });
  $("fault-ledger-add").addEventListener("click", (event) => act("/api/faults/ledger/add", event.currentTarget));
  $("growth-preview-button").addEventListener("click", previewGrowth);
  $("growth-apply").addEventListener("click", grow);
  $("growth-count").addEventListener("input", () => {
    preview = null;
    $("growth-apply").disabled = true;
  });
}

async function refresh() {
  try {
    const [cluster, services] = await Promise.all([getJson("/api/cluster"), getJson("/api/services")]);
    renderBrokers(cluster.brokers);
    renderLedger(services.ledger ?? []);
    const topic = cluster.topics.find((each) => each.name === GROWTH_TOPIC);
    currentPartitions = topic ? topic.partitions.length : null;
    if (currentPartitions && !$("growth-count").value) $("growth-count").value = String(currentPartitions * 2);
    context.report("faults");
  } catch (error) {
    context.report("faults", error);
  }
}

const button = (action, data, label, danger = false) =>
  `<button type="button" class="${danger ? "danger" : "secondary"}" data-action="${action}" ${data} data-testid="fault-${label}-${action}">${esc(t(`faults.${action}`))}</button>`;

function renderBrokers(brokers) {
  $("fault-brokers").innerHTML = brokers
    .map((b) => {
      const data = `data-broker="${esc(b.id)}"`;
      const label = `broker-${b.id}`;
      return `<tr data-testid="fault-broker-${esc(b.id)}" data-status="${esc(b.status)}">
        <th>${esc(t("broker.label", { id: b.id }))}</th><td><span class="pill status-${esc(b.status)}">${esc(t(`broker.${b.status}`))}</span></td>
        <td class="num mono">${esc(b.pid ?? "—")}</td>
        <td><div class="actions">${button("kill", data, label, true)}${button("restart", data, label)}${button("pause", data, label)}${button("resume", data, label)}</div></td></tr>`;
    })
    .join("");
}

function renderLedger(instances) {
  $("fault-ledger").innerHTML = instances
    .map((s) => {
      const data = `data-label="${esc(s.label)}"`;
      const label = `ledger-${s.label}`;
      return `<tr data-testid="fault-ledger-${esc(s.label)}" data-status="${esc(s.status)}">
        <th>${esc(s.label)}</th><td><span class="pill service-${esc(s.status)}">${esc(t(`service.${s.status}`))}</span></td>
        <td class="num mono">${esc(s.pid ?? "—")}</td>
        <td><div class="actions">${button("stall", data, label)}${button("freeze", data, label)}${button("remove", data, label, true)}</div></td></tr>`;
    })
    .join("");
}

/** Long lists (a growth preview's moved users) are in their own table; the log keeps their start. */
function shortLists(_key, value) {
  return Array.isArray(value) && value.length > 4 ? [...value.slice(0, 3), `… ${value.length - 3} more`] : value;
}

function token() {
  return $("fault-token").value.trim();
}

/** Appends what was asked and what came back (or the error) to the answers log, newest first. */
function log(what, outcome, ok) {
  const item = document.createElement("li");
  item.className = ok ? "ok" : "bad";
  item.dataset.testid = "fault-result";
  item.dataset.ok = String(ok);
  item.innerHTML = `<time class="mono">${esc(clock(Date.now()))}</time> <code>${esc(what)}</code>
    <pre>${esc(typeof outcome === "string" ? outcome : JSON.stringify(outcome, shortLists, 2))}</pre>`;
  $("fault-log").prepend(item);
  while ($("fault-log").children.length > 50) $("fault-log").lastElementChild.remove();
}

async function act(path, trigger, body) {
  const what = `POST ${path}`;
  trigger.disabled = true;
  try {
    const answer = await postJson(path, body, token());
    log(what, answer, true);
    refresh();
    return answer;
  } catch (error) {
    log(what, error.status === 403 && !token() ? `${error.message}\n(${t("faults.noToken")})` : error.message, false);
    return null;
  } finally {
    trigger.disabled = false;
  }
}

async function previewGrowth() {
  const count = Number($("growth-count").value);
  const answer = await act(
    `/api/faults/topics/${encodeURIComponent(GROWTH_TOPIC)}/partitions/preview`,
    $("growth-preview-button"),
    { count },
  );
  preview = answer;
  $("growth-apply").disabled = !answer;
  if (!answer) {
    $("growth-summary").textContent = "";
    $("growth-preview").innerHTML = "";
    return;
  }
  $("growth-summary").textContent = t("faults.previewResult", {
    from: answer.from,
    to: answer.to,
    moved: answer.moved.length,
    unchanged: answer.unchanged,
  });
  $("growth-preview").innerHTML = answer.moved
    .map(
      (m) => `<tr data-user="${esc(m.userId)}" data-from="${esc(m.from)}" data-to="${esc(m.to)}">
        <td class="mono">${esc(m.userId)}</td><td class="num">${esc(m.from)}</td><td class="num">${esc(m.to)}</td></tr>`,
    )
    .join("");
}

async function grow() {
  if (!preview) return;
  const answer = await act(`/api/faults/topics/${encodeURIComponent(GROWTH_TOPIC)}/partitions`, $("growth-apply"), {
    count: preview.to,
  });
  if (answer) {
    preview = null;
    $("growth-apply").disabled = true;
    $("growth-count").value = "";
  }
}
