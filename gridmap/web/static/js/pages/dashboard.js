// @ts-check
/* global echarts */
// 指挥驾驶舱 (the start page) and its large screen 大屏 (/?screen=1): the weekly closure and on-time rates as an
// ECharts line chart; on the large screen the figures are fetched again every minute (data-refresh seconds) from
// /api/v1/dashboard and written into the page in place — no reload, so the hall's screen never flashes. The small
// map of hot spots (../dashmap.js) is drawn beside the hot-spot list and redrawn with the figures.
import { hotSpotMap } from "../dashmap.js";
import { byId } from "../dom.js";

/** @typedef {{ weeks: string[], labels_zh: string[], due: number[], closure: (number | null)[], on_time: (number | null)[] }} Trend */
/** @typedef {{ name: string, score: number, grade: string | null }} Ranked */
/** @typedef {{ period: string, label_zh: string, scheme: string, top: Ranked[], bottom: Ranked[] }} Ranking */
/** @typedef {{ name: string, reports: number, open: number }} HotSpot */
/**
 * @typedef {{ as_of: string, reports_today: number, reports_week: number, open: number, overdue: number,
 *   closed_week: number, coverage: number | null, trend: Trend, ranking: Ranking | null, hot_spots: HotSpot[] }} Board
 */

const root = byId("dashboard");
const words = /** @type {Record<string, string>} */ (JSON.parse(root.dataset.words || "{}"));
const screen = root.classList.contains("screen-mode");
/** @type {ReturnType<typeof echarts.init> | null} */
let chart = null;

/** @param {Trend} trend */
function drawChart(trend) {
  const el = byId("dash-chart");
  if (typeof echarts === "undefined") return;
  if (!chart) {
    chart = echarts.init(el, screen ? "dark" : null, { renderer: "svg" });
    window.addEventListener("resize", () => chart?.resize());
  }
  chart.setOption({
    animation: false,
    backgroundColor: "transparent",
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { fontSize: screen ? 18 : 12 } },
    grid: { left: 44, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: root.dataset.lang === "en" ? trend.weeks : trend.labels_zh, axisLabel: { fontSize: screen ? 16 : 11 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", fontSize: screen ? 16 : 11 } },
    series: [
      { name: words.closure, type: "line", data: trend.closure, connectNulls: true, symbolSize: 6 },
      { name: words.on_time, type: "line", data: trend.on_time, connectNulls: true, symbolSize: 6 },
    ],
  });
  el.dataset.drawn = String(trend.weeks.length);
}

/**
 * @param {HTMLElement | null} list
 * @param {string[]} lines
 * @param {string} empty
 */
function fill(list, lines, empty) {
  if (!list) return;
  list.replaceChildren(
    ...(lines.length ? lines : [empty]).map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      if (!lines.length) li.className = "muted none";
      return li;
    }),
  );
}

/** @param {Board} board */
function write(board) {
  for (const el of root.querySelectorAll("[data-fig]")) {
    const key = /** @type {HTMLElement} */ (el).dataset.fig || "";
    if (key === "coverage") el.textContent = board.coverage == null ? "–" : `${board.coverage.toFixed(1)}%`;
    else if (key in board && key !== "ranking_of") el.textContent = String(board[/** @type {keyof Board} */ (key)]);
  }
  const overdue = root.querySelector('[data-fig="overdue"]')?.parentElement;
  overdue?.classList.toggle("alarm", board.overdue > 0);
  const score = (/** @type {Ranked} */ r) => `${r.name} ${r.score.toFixed(2)}`;
  if (board.ranking) {
    fill(document.getElementById("dash-top"), board.ranking.top.map(score), "");
    fill(document.getElementById("dash-bottom"), board.ranking.bottom.map(score), "");
  }
  const hot = board.hot_spots.map((h) => `${h.name} ${words.hot_open.replace("{n}", String(h.reports)).replace("{o}", String(h.open))}`);
  fill(document.getElementById("dash-hot"), hot, words.hot_none);
  drawChart(board.trend);
  root.dataset.refreshed = board.as_of;
}

async function refresh() {
  try {
    const resp = await fetch("/api/v1/dashboard", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (resp.ok) write(/** @type {Board} */ (await resp.json()));
  } catch {
    // the network is down for a moment: the screen keeps the last figures and tries again next minute
  }
}

const mapEl = document.getElementById("dash-map");
const hotMap = mapEl && typeof L !== "undefined" ? hotSpotMap(mapEl) : null;
/** The map's turn of a refresh: its failure (the network, for a moment) leaves the last picture. */
function refreshMap() {
  hotMap?.refresh().catch(() => undefined);
}

drawChart(/** @type {Board} */ (JSON.parse(root.dataset.board || "{}")).trend);
refreshMap();
const every = Number(root.dataset.refresh || 0);
if (every > 0) {
  root.dataset.refreshes = "0";
  window.setInterval(() => {
    root.dataset.refreshes = String(Number(root.dataset.refreshes) + 1);
    void refresh();
    refreshMap();
  }, every * 1000);
}
