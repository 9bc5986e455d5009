// @ts-check
// The map's colours: one per responsibility state, one per unit, the highlight.

/**
 * A colour for each responsibility state the server gives a feature (gridmap.maps.layers.responsibility_state).
 * Colours are presentation, so they are here; the states' names in the page language come from the server's strings
 * (`<state>_state`), and a state not listed here is drawn in UNKNOWN_COLOR. The legend lists the states in this order.
 * @type {Readonly<Record<string, string>>}
 */
export const STATE_COLORS = Object.freeze({ assigned: "#2e7d32", ending: "#f59f00", unassigned: "#d7263d" });
export const UNKNOWN_COLOR = "#555";
export const HIGHLIGHT_COLOR = "#00b4ff";

/**
 * @param {string | null | undefined} state
 * @returns {string}
 */
export function stateColor(state) {
  return (state && STATE_COLORS[state]) || UNKNOWN_COLOR;
}

/**
 * A stable colour per unit (golden-angle hues); no unit: the unassigned colour.
 * @param {number | null | undefined} id
 * @returns {string}
 */
export function unitColor(id) {
  if (id == null) return stateColor("unassigned");
  const h = (id * 137.508) % 360;
  return `hsl(${h.toFixed(0)},70%,${id % 2 ? 38 : 48}%)`;
}

/**
 * A case dot's colour by its traffic light (gridmap.cases.deadlines.progress_of: green, yellow, red = overdue); no
 * deadline: NO_LIGHT_COLOR. Distinct from the responsibility colours' green so a case never reads as "assigned".
 * @type {Readonly<Record<string, string>>}
 */
export const LIGHT_COLORS = Object.freeze({ green: "#12b886", yellow: "#fab005", red: "#e03131" });
export const NO_LIGHT_COLOR = "#1565c0";

/**
 * @param {string | null | undefined} light
 * @returns {string}
 */
export function lightColor(light) {
  return (light && LIGHT_COLORS[light]) || NO_LIGHT_COLOR;
}

/**
 * A 社区's coverage (0–1; null: nothing to cover) as a colour: red when most is unassigned, green when all is.
 * @param {number | null} rate
 * @returns {string}
 */
export function coverageColor(rate) {
  if (rate === null) return "#bbbbbb";
  const hue = Math.round(120 * Math.max(0, Math.min(1, rate)) ** 2); // most 社区 are near full: spread the top
  return `hsl(${hue}, 70%, 45%)`;
}
