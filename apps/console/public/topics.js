// The Topics view: each topic's partitions (offsets, sizes, segments) and retention configs; a message
// browser (by partition and offset, by time, by key); a live tail over SSE; and the key → partition
// calculator (the server computes murmur2 exactly as the producer does). Ownership: this module owns
// the tail's EventSource and the rows it has shown.
import { $, bytes, clockMs, configValue, dateTime, esc, every, getJson, num, query } from "./api.js";
import { t } from "./strings.js";

const TAIL_ROWS = 200;
let context;
let tail = null;
let tailCount = 0;
let topicNames = [];
const openState = new Map(); // topic <details> the user opened or closed, by test id

export function initTopics(ctx) {
  context = ctx;
  every(3000, refresh, () => ctx.visible("topics"));
  ctx.whenShown("topics", refresh);
  const form = $("browser-form");
  form.addEventListener("change", (event) => {
    if (event.target.name === "mode") showModeFields();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    browse();
  });
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000 - new Date().getTimezoneOffset() * 60_000);
  $("browser-timestamp").value = fiveMinutesAgo.toISOString().slice(0, 19);
  showModeFields();
  let pending = null;
  const calculateSoon = () => {
    clearTimeout(pending);
    pending = setTimeout(calculate, 120);
  };
  for (const id of ["calc-key", "calc-partitions", "calc-topic"]) $(id).addEventListener("input", calculateSoon);
  $("calc-form").addEventListener("submit", (event) => {
    event.preventDefault();
    calculate();
  });
  $("tail-toggle").addEventListener("click", toggleTail);
}

async function refresh() {
  try {
    const cluster = await getJson("/api/cluster");
    renderTopics(cluster.topics);
    fillTopicSelects(cluster.topics);
    context.report("topics");
  } catch (error) {
    context.report("topics", error);
  }
}

function renderTopics(topics) {
  const sorted = [...topics].sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name));
  $("topic-list").innerHTML = sorted
    .map((topic) => {
      const rows = [...topic.partitions]
        .sort((a, b) => a.partition - b.partition)
        .map(
          (p) => `<tr data-testid="topic-partition-${esc(topic.name)}-${p.partition}">
            <td class="num">${p.partition}</td><td class="num">${esc(p.leader)}</td>
            <td class="num mono">${esc(num(p.logStartOffset))}</td><td class="num mono">${esc(num(p.highWatermark))}</td>
            <td class="num mono">${esc(num(Number(p.highWatermark) - Number(p.logStartOffset)))}</td>
            <td class="num">${esc(bytes(p.bytes))}</td><td class="num">${esc(p.segments)}</td></tr>`,
        )
        .join("");
      const configs = Object.entries(topic.configs ?? {})
        .map(([k, v]) => `<span class="config"><span class="muted">${esc(k)}</span> ${esc(configValue(k, v))}</span>`)
        .join("");
      const size = topic.partitions.reduce((sum, p) => sum + Number(p.bytes ?? 0), 0);
      return `<details class="topic" data-testid="topic-${esc(topic.name)}" ${topic.internal ? "" : "open"}>
        <summary><span class="topic-name">${esc(topic.name)}</span>
          <span class="muted small">${esc(t("cluster.partitionCount", { n: topic.partitions.length }))} · ${esc(bytes(size))}</span></summary>
        <div class="configs small">${configs}</div>
        <table><thead><tr><th class="num">${esc(t("col.partition"))}</th><th class="num">${esc(t("col.leader"))}</th>
          <th class="num">${esc(t("col.logStart"))}</th><th class="num">${esc(t("col.hw"))}</th><th class="num">${esc(t("col.records"))}</th>
          <th class="num">${esc(t("col.size"))}</th><th class="num">${esc(t("col.segments"))}</th></tr></thead>
          <tbody>${rows}</tbody></table></details>`;
    })
    .join("");
  // Rebuilding closes what the user opened; remember it across refreshes.
  for (const details of $("topic-list").querySelectorAll("details")) {
    const name = details.dataset.testid;
    if (openState.has(name)) details.open = openState.get(name);
    details.addEventListener("toggle", () => openState.set(name, details.open));
  }
}

function fillTopicSelects(topics) {
  const names = topics
    .filter((topic) => !topic.internal)
    .map((topic) => topic.name)
    .sort();
  if (names.join() === topicNames.join()) return;
  topicNames = names;
  for (const id of ["browser-topic", "calc-topic", "tail-topic"]) {
    const select = $(id);
    const keep = select.value;
    select.innerHTML = names.map((name) => `<option>${esc(name)}</option>`).join("");
    select.value = names.includes(keep)
      ? keep
      : names.includes("points.commands")
        ? "points.commands"
        : (names[0] ?? "");
  }
}

function showModeFields() {
  const mode = new FormData($("browser-form")).get("mode");
  for (const element of $("browser-form").querySelectorAll("[data-mode]"))
    element.hidden = !element.dataset.mode.split(" ").includes(mode);
}

async function browse() {
  const data = new FormData($("browser-form"));
  const mode = data.get("mode");
  const params = { topic: data.get("topic"), limit: data.get("limit") };
  if (mode === "key") params.key = data.get("key");
  else params.partition = data.get("partition");
  if (mode === "offset") params.offset = data.get("offset");
  if (mode === "timestamp") params.timestamp = new Date(data.get("timestamp")).getTime();
  const summary = $("browser-summary");
  try {
    const found = await getJson(`/api/messages?${query(params)}`);
    $("browser-results").innerHTML = found.messages
      .map((m) => messageRow({ ...m, partition: found.partition }))
      .join("");
    summary.textContent = found.messages.length
      ? t("topics.found", { n: found.messages.length, topic: found.topic, partition: found.partition })
      : t("topics.none");
    summary.classList.remove("bad");
  } catch (error) {
    $("browser-results").innerHTML = "";
    summary.textContent = error.message;
    summary.classList.add("bad");
  }
}

function prettyValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function messageRow(message) {
  const headers = Object.entries(message.headers ?? {})
    .map(([k, v]) => `<div><span class="muted">${esc(k)}:</span> ${esc(v)}</div>`)
    .join("");
  return `<tr data-testid="message-row" data-offset="${esc(message.offset)}" data-partition="${esc(message.partition)}" data-key="${esc(message.key ?? "")}">
    <td class="num">${esc(message.partition)}</td><td class="num mono">${esc(message.offset)}</td>
    <td class="mono small">${esc(dateTime(message.timestamp))}</td><td class="mono">${keyCell(message.key)}</td>
    <td><pre class="value">${esc(prettyValue(message.value))}</pre></td><td class="small headers">${headers}</td></tr>`;
}

/** A tailed message on one line: the tail is for watching the flow, the browser for reading one. */
function tailRow(message) {
  const value = typeof message.value === "string" ? message.value : JSON.stringify(message.value);
  return `<tr data-testid="tail-row" data-offset="${esc(message.offset)}" data-partition="${esc(message.partition)}" data-key="${esc(message.key ?? "")}">
    <td class="num">${esc(message.partition)}</td><td class="num mono">${esc(message.offset)}</td>
    <td class="mono small">${esc(clockMs(message.timestamp))}</td><td class="mono">${keyCell(message.key)}</td>
    <td><code class="oneline" title="${esc(value)}">${esc(value)}</code></td></tr>`;
}

const keyCell = (key) => (key === null || key === undefined ? '<span class="muted">null</span>' : esc(key));

async function calculate() {
  const key = $("calc-key").value;
  const result = $("calc-result");
  if (key === "") {
    result.textContent = "";
    delete result.dataset.partition;
    return;
  }
  try {
    const answer = await getJson(
      `/api/partitioner?${query({ topic: $("calc-topic").value, key, partitions: $("calc-partitions").value })}`,
    );
    if ($("calc-key").value !== key) return; // typed on meanwhile; the newer answer will come
    // The partition number is a chip, wherever the language puts it in the sentence.
    const chip = `<strong class="partition-chip p${answer.partition % 12}">${esc(answer.partition)}</strong>`;
    result.innerHTML = esc(t("topics.calcResult", { ...answer, partition: "\u0000" })).replace("\u0000", chip);
    result.dataset.key = answer.key;
    result.dataset.partition = answer.partition;
    result.dataset.partitions = answer.partitions;
    result.classList.remove("bad");
  } catch (error) {
    result.textContent = error.message;
    delete result.dataset.partition;
    result.classList.add("bad");
  }
}

function toggleTail() {
  if (tail) {
    tail.close();
    tail = null;
    $("tail-toggle").textContent = t("topics.tailStart");
    $("tail-toggle").dataset.on = "false";
    $("tail-status").textContent = t("topics.tailIdle");
    return;
  }
  const topic = $("tail-topic").value;
  tailCount = 0;
  $("tail-rows").innerHTML = "";
  tail = new EventSource(`/api/tail?${query({ topic })}`);
  $("tail-toggle").textContent = t("topics.tailStop");
  $("tail-toggle").dataset.on = "true";
  $("tail-status").textContent = t("topics.tailOn", { topic, n: 0 });
  tail.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    tailCount++;
    const body = $("tail-rows");
    body.insertAdjacentHTML("afterbegin", tailRow(message));
    while (body.rows.length > TAIL_ROWS) body.deleteRow(-1);
    $("tail-status").textContent = t("topics.tailOn", { topic, n: tailCount });
  });
}
