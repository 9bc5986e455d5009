// @ts-check
// How the map draws each OGC collection: its pane, its shape, its fixed style and the properties it asks for; the
// colour of an assignable feature by its responsibility state or by its unit.
import { lightColor, stateColor, unitColor } from "./colors.js";

/** The 街道 and 社区 outlines: OGC collections drawn on every map page (not assignable, not filtered by unit). */
export const AREA_LAYERS = ["streets", "communities"];
export const COMMUNITIES = "communities";
/** The open cases: an OGC collection (not assignable). */
export const CASE_LAYER = "cases";
/** The components 部件 (manhole covers, lamps…): points drawn from vector tiles at street level, coloured by owner. */
export const COMPONENT_LAYER = "components";

/** The panes, bottom to top. */
export const PANES = ["gm-areas", "gm-grids", "gm-compounds", "gm-segments", "gm-components", "gm-cases"];

/**
 * How one collection is drawn and what is asked of it.
 * @typedef {object} LayerLook
 * @property {string} pane     the Leaflet pane (see PANES)
 * @property {"area" | "polygon" | "line" | "point"} shape  area: an outline (街道, 社区), never filtered by unit
 * @property {Record<string, string>} query  extra query parameters: the properties the popups and legend need
 * @property {L.CircleMarkerOptions} path  the fixed part of the style (colour by state or unit is added)
 * @property {number} [minZoom]    not drawn below this zoom
 * @property {boolean} [byOwner]    a point coloured by its unit (a component's owner), not by a case's light
 */

/**
 * The collections the map can draw, by OGC collection id (the API's names, GET /ogc/collections). Their look is
 * presentation and is kept here; which of them are assignable, with their kinds and labels, the page config says
 * (cfg.kinds), and an assignable collection missing here is drawn with DEFAULT_LOOK.
 * @type {Record<string, LayerLook>}
 */
const LOOK = {
  streets: {
    pane: "gm-areas",
    shape: "area",
    query: { properties: "code,name" },
    path: { color: "#5c3c92", weight: 3 },
  },
  communities: {
    pane: "gm-areas",
    shape: "area",
    query: { properties: "code,name" },
    path: { color: "#8e6cc0", weight: 1.5, dashArray: "4 3" },
  },
  grids: {
    pane: "gm-grids",
    shape: "polygon",
    minZoom: 12,
    query: { properties: "code" },
    path: { weight: 0.8, opacity: 0.7, fillOpacity: 0.12 },
  },
  compounds: {
    pane: "gm-compounds",
    shape: "polygon",
    query: { properties: "name" },
    path: { weight: 1.2, fillOpacity: 0.35 },
  },
  segments: {
    pane: "gm-segments",
    shape: "line",
    query: { properties: "name,level" },
    path: { weight: 3, opacity: 0.9 },
  },
  components: {
    pane: "gm-components",
    shape: "point",
    byOwner: true,
    query: { properties: "code,class_code" },
    path: { radius: 4, color: "#333", weight: 1, fillOpacity: 0.95 },
  },
  // status=active: the API's own word for the cases still being handled (it knows which statuses those are)
  cases: {
    pane: "gm-cases",
    shape: "point",
    query: { status: "active" },
    path: { radius: 6, color: "#222", weight: 1.5, fillOpacity: 0.95 },
  },
};
/** @type {LayerLook} */
const DEFAULT_LOOK = { pane: "gm-compounds", shape: "polygon", query: {}, path: { weight: 1.2, fillOpacity: 0.35 } };

/**
 * @param {string} cid  an OGC collection id
 * @returns {LayerLook}
 */
export function lookOf(cid) {
  return LOOK[cid] ?? DEFAULT_LOOK;
}

/**
 * The layers of the assignable kinds in drawing order (bottom to top), the order of the layer control too.
 * @param {import("./config.js").KindConfig[]} kinds  the page config's
 * @returns {string[]}
 */
export function targetLayers(kinds) {
  const rank = (/** @type {string} */ cid) => PANES.indexOf(lookOf(cid).pane);
  return kinds.map((k) => k.collection).sort((a, b) => rank(a) - rank(b));
}

/**
 * A feature's style before a page's own changes and the highlight.
 * @param {LayerLook} look
 * @param {"state" | "unit"} colorMode
 * @param {import("./layers.js").FeatureProps} p
 * @returns {L.PathOptions}
 */
export function baseStyle(look, colorMode, p) {
  if (look.shape === "area") return { ...look.path, fill: false };
  if (look.shape === "point" && look.byOwner) return { ...look.path, fillColor: unitColor(p.unit_id) };
  if (look.shape === "point") {
    // a case: its traffic light (red when overdue), ringed dark so it stands out on any polygon colour
    return { ...look.path, color: "#222", fillColor: lightColor(p.light) };
  }
  const color = colorMode === "unit" ? unitColor(p.unit_id) : stateColor(p.responsibility);
  return look.shape === "line" ? { ...look.path, color } : { ...look.path, color, fillColor: color };
}
