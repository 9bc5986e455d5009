// @ts-check
// The map's legend: the responsibility states with how many drawn features are in each, or, coloured by unit, the
// units holding the most drawn features (15, then the rest together) and the unassigned ones.
import { STATE_COLORS, stateColor, unitColor } from "./colors.js";
import { esc } from "./strings.js";

const MAX_UNITS = 15;

/**
 * @param {HTMLElement} el
 * @param {object} m
 * @param {L.Map} m.map
 * @param {L.GeoJSON<import("./layers.js").FeatureProps>[]} m.layers  the assignable layers
 * @param {"state" | "unit"} m.colorMode
 * @param {Record<string, string>} m.strings
 */
export function renderLegend(el, { map, layers, colorMode, strings: S }) {
  /** @type {Record<string, number>} */
  const counts = {};
  /** @type {Map<number, {id: number, name: string, n: number}>} */
  const units = new Map();
  for (const layer of layers) {
    if (!map.hasLayer(layer)) continue;
    layer.eachLayer((l) => {
      const p = /** @type {L.Layer & {feature: import("./layers.js").Feature}} */ (l).feature.properties;
      const state = p.responsibility ?? "";
      counts[state] = (counts[state] ?? 0) + 1;
      if (p.unit_id != null) {
        const u = units.get(p.unit_id) ?? { id: p.unit_id, name: p.unit_name ?? "", n: 0 };
        u.n++;
        units.set(p.unit_id, u);
      }
    });
  }
  const rows = [];
  if (colorMode === "state") {
    for (const k of Object.keys(STATE_COLORS)) rows.push(swatch(stateColor(k), S[k + "_state"], counts[k] ?? 0, k));
  } else {
    const list = [...units.values()].sort((a, b) => b.n - a.n);
    for (const u of list.slice(0, MAX_UNITS)) rows.push(swatch(unitColor(u.id), u.name, u.n, "unit-" + u.id));
    if (list.length > MAX_UNITS) {
      const rest = list.slice(MAX_UNITS).reduce((s, u) => s + u.n, 0);
      rows.push(`<li class="legend-more">${esc(S.other_units)} (${list.length - MAX_UNITS}): ${rest}</li>`);
    }
    rows.push(swatch(stateColor("unassigned"), S.unassigned_state, counts.unassigned ?? 0, "unassigned"));
  }
  el.innerHTML = `<ul class="legend-list" data-mode="${colorMode}">${rows.join("")}</ul>`;
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
