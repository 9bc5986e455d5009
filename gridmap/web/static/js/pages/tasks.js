// @ts-check
// 我的待办 (/tasks): the signed-in person's queue from /api/v1/tasks — a tab per group with its count, the filters,
// paging, the traffic light and time left on every row; refreshed every minute, when the page becomes visible again
// and when a filter changes, without reloading the page. A table on a desk, stacked cards on a phone (CSS).
import { errorText, getJSON, isAbort } from "../api.js";
import { lightBadge, timeLeft, wordsOf } from "../casefmt.js";
import { localTime } from "../times.js";
import { byId, message } from "../dom.js";
import { hook } from "../hook.js";

const PER_PAGE = 20;
const EVERY_MS = 60_000;

const root = byId("tasks");
const t = wordsOf(root);
const timeZone = String(root.dataset.timeZone); // the city's (GRIDMAP_TIMEZONE), from the server
const rows = byId("task-rows");
const status = byId("task-status");
const empty = byId("task-empty");
const form = byId("task-filters", HTMLFormElement);
const tabs = /** @type {HTMLButtonElement[]} */ (Array.from(document.querySelectorAll(".task-tab")));
const pageInfo = byId("page-info");
const prev = byId("page-prev", HTMLButtonElement);
const next = byId("page-next", HTMLButtonElement);

const state = {
  group: tabs.find((b) => b.getAttribute("aria-selected") === "true")?.dataset.group ?? "",
  page: Math.max(1, Number(byId("f-page", HTMLInputElement).value) || 1),
  pages: 1,
};
/** @type {AbortController | null} */
let loading = null;

function query() {
  const q = new URLSearchParams();
  if (state.group) q.set("group", state.group);
  for (const name of ["category", "urgency", "street"]) {
    const value = /** @type {HTMLSelectElement} */ (form.elements.namedItem(name)).value;
    if (value) q.set(name, value);
  }
  if (state.page > 1) q.set("page", String(state.page));
  return q;
}

/**
 * One row: a table row on a desk; on a phone CSS stacks its cells as a card (each cell says what it is).
 * @param {any} c
 */
function row(c) {
  const tr = document.createElement("tr");
  tr.className = `task light-row-${c.progress ? c.progress.light : "none"}`;
  tr.dataset.caseId = String(c.id);
  /** @param {string} label @param {string | Node} content @param {string} [cls] */
  const cell = (label, content, cls = "") => {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (cls) td.className = cls;
    td.append(content);
    tr.append(td);
  };
  cell(t("light"), lightBadge(c.progress, t), "c-light");
  const link = document.createElement("a");
  link.href = `/cases/${c.id}`;
  link.textContent = String(c.id);
  link.className = "case-link";
  cell(t("case_no"), link, "c-id");
  cell(t("category"), `${c.category_name ?? c.category}`, "c-cat");
  cell(t("urgency"), t(`urgency_${c.urgency}`), c.urgency === "urgent" ? "c-urg urgent" : "c-urg");
  cell(t("status"), t(`case_status_${c.status}`), "c-status");
  cell(t("deadline"), localTime(c.deadline, timeZone), "c-deadline");
  cell(t("time_left"), timeLeft(c.progress, t), "c-left");
  return tr;
}

/** @param {any} body */
function show(body) {
  for (const g of body.groups) {
    const badge = document.querySelector(`[data-count="${g.key}"]`);
    if (badge) badge.textContent = String(g.count);
  }
  const mine = body.groups.find((/** @type {any} */ g) => g.key === state.group) ?? { items: [], count: 0 };
  rows.replaceChildren(...mine.items.map(row));
  empty.hidden = mine.items.length > 0;
  state.pages = Math.max(1, Math.ceil(mine.count / body.per_page));
  pageInfo.textContent = t("page_of", { page: state.page, pages: state.pages });
  prev.disabled = state.page <= 1;
  next.disabled = state.page >= state.pages;
  const now = new Date();
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const off = -now.getTimezoneOffset(); // this device's clock, its zone said as the server's times say theirs
  const zone = `UTC${off < 0 ? "-" : "+"}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
  message(status, t("refreshed_at", { t: `${two(now.getHours())}:${two(now.getMinutes())} (${zone})` }));
}

async function load() {
  loading?.abort();
  const mine = new AbortController();
  loading = mine;
  hook.pageReady = false;
  const q = query();
  history.replaceState(null, "", `?${q}`);
  q.set("per_page", String(PER_PAGE));
  try {
    show(await getJSON(`/api/v1/tasks?${q}`, mine.signal));
    hook.pageReady = true;
  } catch (err) {
    if (!isAbort(err)) {
      message(status, t("load_failed", { e: errorText(err) }), "error");
      hook.pageReady = true;
    }
  }
}

for (const tab of tabs) {
  tab.addEventListener("click", () => {
    for (const other of tabs) other.setAttribute("aria-selected", String(other === tab));
    state.group = tab.dataset.group ?? "";
    state.page = 1;
    void load();
  });
}
form.addEventListener("change", () => {
  state.page = 1;
  void load();
});
form.addEventListener("submit", (e) => e.preventDefault());
byId("task-refresh").addEventListener("click", () => void load());
prev.addEventListener("click", () => {
  state.page = Math.max(1, state.page - 1);
  void load();
});
next.addEventListener("click", () => {
  state.page = Math.min(state.pages, state.page + 1);
  void load();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") void load();
});
setInterval(() => {
  if (document.visibilityState === "visible") void load();
}, EVERY_MS);
hook.page = { reload: load };
void load();
