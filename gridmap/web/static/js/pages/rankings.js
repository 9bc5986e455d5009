// @ts-check
/* global echarts */
// 考核排名 (/rankings): the trend of the period and the three before it — an ECharts line chart of the best five and
// the last three subjects (a chart of every unit would be unreadable), and a small inline sparkline on every row.
// The figures come from the page (data-trend), drawn on the server from the same scorecards as the tables.
import { byId } from "../dom.js";

/** @typedef {{ subject_id: string, name: string, scores: (number | null)[] }} Series */
/** @typedef {{ periods: string[], labels_zh: string[], series: Series[] }} Trend */

const root = byId("rankings");
const trend = /** @type {Trend} */ (JSON.parse(root.dataset.trend || "{}"));
const en = root.dataset.lang === "en";

/** The subjects of the chart: the five best and the three last of this period (rows in table order). */
function chosen() {
  const last = trend.periods.length - 1;
  const scored = trend.series.filter((s) => s.scores[last] != null);
  scored.sort((a, b) => (b.scores[last] ?? 0) - (a.scores[last] ?? 0));
  if (scored.length <= 8) return scored;
  return [...scored.slice(0, 5), ...scored.slice(-3)];
}

function drawChart() {
  const el = byId("trend-chart");
  if (typeof echarts === "undefined" || !trend.series) return;
  const chart = echarts.init(el, null, { renderer: "svg" });
  const series = chosen();
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 28 },
    xAxis: { type: "category", data: en ? trend.periods : trend.labels_zh },
    yAxis: { type: "value", min: (/** @type {{ min: number }} */ v) => Math.max(0, Math.floor(v.min / 10) * 10) },
    series: series.map((s) => ({ name: s.name, type: "line", data: s.scores, connectNulls: false, symbolSize: 6 })),
  });
  window.addEventListener("resize", () => chart.resize());
  el.dataset.drawn = String(series.length);
}

const SVG = "http://www.w3.org/2000/svg";

/** A sparkline of one subject's scores (0–100) as inline SVG: a gap where a period has no score. */
function sparkline(/** @type {(number | null)[]} */ scores) {
  const w = 80;
  const h = 22;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(w));
  svg.setAttribute("height", String(h));
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const step = scores.length > 1 ? (w - 4) / (scores.length - 1) : 0;
  let d = "";
  let pen = false;
  scores.forEach((v, i) => {
    if (v == null) {
      pen = false;
      return;
    }
    const x = 2 + i * step;
    const y = h - 2 - (Math.max(0, Math.min(100, v)) / 100) * (h - 4);
    d += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x.toFixed(1));
    dot.setAttribute("cy", y.toFixed(1));
    dot.setAttribute("r", "1.8");
    dot.setAttribute("fill", "#2f6fb0");
    svg.appendChild(dot);
  });
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "#2f6fb0");
  path.setAttribute("stroke-width", "1.5");
  svg.prepend(path);
  const title = document.createElementNS(SVG, "title");
  title.textContent = trend.periods.map((p, i) => `${p}: ${scores[i] == null ? "–" : scores[i]?.toFixed(2)}`).join("\n");
  svg.appendChild(title);
  return svg;
}

function drawSparks() {
  const bySubject = new Map(trend.series.map((s) => [s.subject_id, s.scores]));
  for (const cell of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-spark]"))) {
    const scores = bySubject.get(cell.dataset.spark || "");
    if (scores) cell.appendChild(sparkline(scores));
  }
}

drawSparks();
drawChart();
