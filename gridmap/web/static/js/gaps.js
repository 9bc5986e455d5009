// @ts-check
// Page entry point of the gaps (/gaps, gaps.html): the features nobody is responsible for (GET /api/v1/gaps as
// GeoJSON, with the page's query) drawn in red over the 街道/社区 outlines, and listed in a table — a row click
// zooms to its feature and opens its popup (size, place, nearest units, default party).
import { errorText, getJSON } from "./api.js";
import { readConfig } from "./config.js";
import { byId, query } from "./dom.js";
import { hook } from "./hook.js";
import { AREA_LAYERS } from "./look.js";
import { GridMap } from "./map.js";
import { esc, fmt, withLang } from "./strings.js";
import { exportTableCsv, makeSortable } from "./tables.js";

/**
 * A gap's properties (gridmap.responsibility.gaps).
 * @typedef {object} GapProps
 * @property {string} kind
 * @property {number} id
 * @property {string} name
 * @property {number} [length_m]   a line's length
 * @property {number} [area_m2]    an area's size
 * @property {string | null} [street]
 * @property {string | null} [community]
 * @property {{unit_name: string, distance_m: number}[]} [nearest]
 * @property {string | null} [default_unit]
 */
/** @typedef {import("geojson").Feature<import("geojson").Geometry, GapProps>} Gap */

const GAP_COLOR = "#d7263d";
/**
 * The fill of a gap area by kind (presentation; a kind not listed is filled in GAP_COLOR).
 * @type {Record<string, string>}
 */
const GAP_FILL = { compound: "#ff7f50" };

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function gaps(cfg = readConfig()) {
  const S = cfg.pageStrings ?? {};
  const gm = new GridMap(cfg, { layers: AREA_LAYERS });
  const label = (/** @type {string} */ kind) => gm.kinds.label(kind) ?? kind;
  /** @type {L.GeoJSON<GapProps>} */
  const layer = L.geoJSON(undefined, {
    style: (f) => {
      if (isLine(f)) return { color: GAP_COLOR, weight: 5, opacity: 0.9 };
      const fill = GAP_FILL[f?.properties.kind ?? ""] ?? GAP_COLOR;
      return { color: GAP_COLOR, weight: 2, fillColor: fill, fillOpacity: 0.35 };
    },
    onEachFeature: (f, lyr) => lyr.bindPopup(() => popup(f.properties)),
  }).addTo(gm.map);
  /** @type {Map<string, L.Polyline>} */
  let drawnById = new Map();

  /** @param {GapProps} p */
  function size(p) {
    return p.length_m != null ? `${Number(p.length_m).toFixed(0)} m` : `${(Number(p.area_m2) / 10000).toFixed(2)} ha`;
  }
  /** @param {GapProps} p */
  function nearest(p) {
    return (p.nearest ?? []).map((n) => `${esc(n.unit_name)} (${Math.round(n.distance_m)} m)`).join("；");
  }
  /** @param {GapProps} p */
  function popup(p) {
    return (
      `<div class="gm-popup"><h3>${esc(label(p.kind))} · ${esc(p.name)}</h3>` +
      `<p>${esc(p.street || "")} ${esc(p.community || "")} · ${size(p)}</p>` +
      `<p><b>${esc(S.nearest_units)}:</b> ${nearest(p) || "–"}</p>` +
      `<p><b>${esc(S.default_party)}:</b> ${esc(p.default_unit || "–")}</p></div>`
    );
  }

  async function load() {
    const params = new URLSearchParams({ ...cfg.query, format: "geojson" });
    /** @type {import("geojson").FeatureCollection<import("geojson").Geometry, GapProps>} */
    const fc = await getJSON(`${cfg.api}/gaps?${params}`);
    layer.clearLayers();
    layer.addData(fc);
    drawnById = new Map();
    layer.eachLayer((l) => {
      const drawn = /** @type {L.Polyline & {feature: Gap}} */ (l);
      drawnById.set(String(drawn.feature.id), drawn);
    });
    byId("gap-count").textContent = fmt(S.gap_count, { n: fc.features.length });
    query("#gap-table tbody").innerHTML = fc.features
      .map((f) => {
        const p = f.properties;
        // a commander fills the gap from here: /assign opens with this feature selected
        const assign = withLang(`/assign?kind=${encodeURIComponent(p.kind)}&id=${p.id}`, cfg.lang);
        const link = cfg.canAssign ? ` <a class="assign-link" href="${esc(assign)}">${esc(S.assign_this)}</a>` : "";
        return (
          `<tr data-fid="${esc(f.id)}"><td>${esc(label(p.kind))}</td><td><a href="#" class="gap-zoom">${esc(p.name)}</a>` +
          `${link}</td><td>${size(p)}</td><td>${esc(p.community || "–")}</td><td>${nearest(p) || "–"}</td></tr>`
        );
      })
      .join("");
    if (fc.features.length) gm.map.fitBounds(layer.getBounds(), { maxZoom: 16 });
  }

  query("#gap-table tbody").addEventListener("click", (ev) => {
    if (ev.target instanceof Element && ev.target.closest("a.assign-link")) return; // a real link: let it go
    const tr = ev.target instanceof Element ? ev.target.closest("tr[data-fid]") : null;
    if (!tr) return;
    ev.preventDefault();
    const l = drawnById.get(tr.getAttribute("data-fid") ?? "");
    if (!l) return;
    gm.map.fitBounds(l.getBounds(), { maxZoom: 17 });
    l.openPopup(l.getBounds().getCenter());
  });
  const summary = byId("gap-summary", HTMLTableElement);
  makeSortable(summary);
  byId("summary-csv").addEventListener("click", () =>
    exportTableCsv(summary, `gaps-summary-${cfg.query?.at ?? "today"}.csv`),
  );
  load()
    .catch((err) => gm.status(errorText(err), true))
    .finally(() => {
      hook.pageReady = true;
    });
  hook.page = { layer };
  return gm;
}

/** @param {import("geojson").Feature | undefined} f */
function isLine(f) {
  const type = f?.geometry?.type;
  return type === "LineString" || type === "MultiLineString";
}
