// @ts-check
// The map's legend: the responsibility states with how many drawn features of each kind are in each (counted in the
// kind's own unit: 条 of road, 个 compounds, 格 grids — never one sum of unlike things), or, coloured by unit, the
// units holding the most drawn features (15, then the rest together) and the unassigned ones; and the open cases
// by traffic light when their layer is shown.
import { LIGHT_COLORS, STATE_COLORS, lightColor, stateColor, unitColor } from "./colors.js";
import { esc } from "./strings.js";

const MAX_UNITS = 15;

/**
 * An assignable layer as the legend counts it.
 * @typedef {object} LegendLayer
 * @property {L.GeoJSON<import("./layers.js").FeatureProps>} layer
 * @property {string} label   its kind's name (路段 …)
 * @property {string} unit    what one feature is counted as (条, 个, 格; "" in English)
 */

/**
 * @param {HTMLElement} el
 * @param {object} m
 * @param {L.Map} m.map
 * @param {LegendLayer[]} m.layers  the assignable layers
 * @param {L.GeoJSON<import("./layers.js").FeatureProps> | null} [m.cases]  the case layer, if the page has one
 * @param {"state" | "unit"} m.colorMode
 * @param {Record<string, string>} m.strings
 */
export function renderLegend(el, { map, layers, cases = null, colorMode, strings: S }) {
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {Record<string, {label: string, unit: string, n: number}[]>} per state, per kind shown */
  const byKind = {};
  /** @type {Map<number, {id: number, name: string, n: number}>} */
  const units = new Map();
  for (const { layer, label, unit } of layers) {
    if (!map.hasLayer(layer)) continue;
    /** @type {Record<string, number>} */
    const here = {};
    layer.eachLayer((l) => {
      const p = /** @type {L.Layer & {feature: import("./layers.js").Feature}} */ (l).feature.properties;
      const state = p.responsibility ?? "";
      counts[state] = (counts[state] ?? 0) + 1;
      here[state] = (here[state] ?? 0) + 1;
      if (p.unit_id != null) {
        const u = units.get(p.unit_id) ?? { id: p.unit_id, name: p.unit_name ?? "", n: 0 };
        u.n++;
        units.set(p.unit_id, u);
      }
    });
    for (const k of Object.keys(STATE_COLORS)) (byKind[k] ??= []).push({ label, unit, n: here[k] ?? 0 });
  }
  const rows = [];
  if (colorMode === "state") {
    for (const k of Object.keys(STATE_COLORS)) rows.push(stateRow(stateColor(k), S[k + "_state"], byKind[k] ?? [], k));
  } else {
    const list = [...units.values()].sort((a, b) => b.n - a.n);
    for (const u of list.slice(0, MAX_UNITS)) rows.push(swatch(unitColor(u.id), u.name, u.n, "unit-" + u.id));
    if (list.length > MAX_UNITS) {
      const rest = list.slice(MAX_UNITS).reduce((s, u) => s + u.n, 0);
      rows.push(`<li class="legend-more">${esc(S.other_units)} (${list.length - MAX_UNITS}): ${rest}</li>`);
    }
    rows.push(swatch(stateColor("unassigned"), S.unassigned_state, counts.unassigned ?? 0, "unassigned"));
  }
  let html = `<ul class="legend-list" data-mode="${colorMode}">${rows.join("")}</ul>`;
  if (cases && map.hasLayer(cases)) {
    /** @type {Record<string, number>} */
    const lights = {};
    cases.eachLayer((l) => {
      const p = /** @type {L.Layer & {feature: import("./layers.js").Feature}} */ (l).feature.properties;
      const k = p.light ?? "none";
      lights[k] = (lights[k] ?? 0) + 1;
    });
    const unit = S.unit_count_case ?? "";
    html +=
      `<h3 class="legend-cases">${esc(S.cases)}</h3><ul class="legend-list" data-mode="light">` +
      [...Object.keys(LIGHT_COLORS), "none"]
        .filter((k) => k !== "none" || lights.none)
        .map(
          (k) =>
            `<li data-key="light-${k}"><span class="swatch round" style="background:${lightColor(k === "none" ? null : k)}"></span>` +
            `${esc(S["light_" + k])} <span class="n">${lights[k] ?? 0}</span>${unit ? " " + esc(unit) : ""}</li>`,
        )
        .join("") +
      "</ul>";
  }
  el.innerHTML = html;
}

/**
 * A responsibility state with its count per kind, each in its own unit ("路段 120 条 · 小区 30 个").
 * @param {string} color
 * @param {string | undefined} label
 * @param {{label: string, unit: string, n: number}[]} kinds
 * @param {string} key
 */
function stateRow(color, label, kinds, key) {
  const parts = kinds.map(
    (k) => `<span class="per-kind">${esc(k.label)} <span class="n">${k.n}</span>${k.unit ? " " + esc(k.unit) : ""}</span>`,
  );
  return (
    `<li data-key="${esc(key)}"><span class="swatch" style="background:${color}"></span>${esc(label)}` +
    (parts.length ? `<span class="kinds">${parts.join(" · ")}</span>` : "") +
    "</li>"
  );
}

/**
 * @param {string} color
 * @param {string | undefined} label
 * @param {number} n
 * @param {string} key
 */
function swatch(color, label, n, key) {
  return (
    `<li data-key="${esc(key)}"><span class="swatch" style="background:${color}"></span>` +
    `${esc(label)} <span class="n">${n}</span></li>`
  );
}
