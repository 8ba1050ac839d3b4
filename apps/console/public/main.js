// The console page: shows one view at a time (#cluster, #topics, #groups, #timeline, #faults,
// #points), starts each view's module, and keeps the header's status line. Views poll only while
// shown; the event stream runs all the time so the timeline has the history when it is opened. The
// header's language switch reloads the page in the other language.
import { $, clock, getJson } from "./api.js";
import { initCluster } from "./cluster.js";
import { connectEvents, onEvents } from "./events.js";
import { initFaults } from "./faults.js";
import { initGroups } from "./groups.js";
import { lang, remember, t, translate } from "./strings.js";
import { initTimeline } from "./timeline.js";
import { initTopics } from "./topics.js";

const VIEWS = ["cluster", "topics", "groups", "timeline", "faults", "points"];
let current = "cluster";
const failures = new Map();
const onShow = new Map();

function report(what, error) {
  if (error) failures.set(what, error.message ?? String(error));
  else failures.delete(what);
  const [first] = failures.entries();
  const status = $("status");
  status.textContent = first
    ? t("status.failed", { what: first[0], message: first[1] })
    : t("status.updated", { time: clock(Date.now()) });
  status.classList.toggle("bad", Boolean(first));
}

function showView() {
  const wanted = location.hash.slice(1);
  current = VIEWS.includes(wanted) ? wanted : "cluster";
  for (const name of VIEWS) $(name).hidden = name !== current;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === current);
  document.body.dataset.view = current;
  window.scrollTo(0, 0);
  onShow.get(current)?.();
}

/**
 * The header's EN / 한국어 switch: remembers the choice and reloads with ?lang= (every view renders its
 * words when it draws, so a reload is what redraws them all); the hash keeps the view.
 */
function initLanguageSwitch() {
  for (const button of document.querySelectorAll(".lang-switch button")) {
    const chosen = button.dataset.lang === lang;
    button.setAttribute("aria-pressed", String(chosen));
    button.addEventListener("click", () => {
      if (chosen) return;
      remember(button.dataset.lang);
      const url = new URL(location.href);
      url.searchParams.set("lang", button.dataset.lang);
      location.assign(url);
    });
  }
}

async function main() {
  translate();
  initLanguageSwitch();
  let overview = { pointsApi: null, brokers: 1, faultsEnabled: false, startedAt: Date.now() };
  try {
    overview = await getJson("/api/overview");
    report("overview");
  } catch (error) {
    report("overview", error);
  }
  const context = {
    overview,
    report,
    visible: (name) => current === name && !document.hidden,
    whenShown: (name, callback) => onShow.set(name, callback),
  };
  connectEvents((up) => {
    if (!up) $("event-status").textContent = t("status.eventsDown");
  });
  onEvents((events) => {
    $("event-status").textContent = t("status.events", { n: events.length });
  });
  initCluster(context);
  initTopics(context);
  initGroups(context);
  initTimeline(context);
  initFaults(context);
  if (overview.pointsApi) {
    $("points-open").href = overview.pointsApi;
    // Loaded when first shown: the points page polls on its own, no need to start it earlier.
    context.whenShown("points", () => {
      if (!$("points-frame").src) $("points-frame").src = overview.pointsApi;
    });
  }
  window.addEventListener("hashchange", showView);
  showView();
}

main();
