// @ts-check
// Page entry point of the problem heatmap (/heatmap, heatmap.html): the cases matching the form's filters from
// GET /api/v1/heat, as a heat layer of points (Leaflet.heat, loaded by the page as a classic script) or as counts
// per unit grid / per road km coloured yellow → red; the count and the link to the matching case list follow.
// Grids and segments are asked for the view (bbox and zoom, again after each move): below their minimum zoom the
// server counts per 街道 instead, so a zoomed-out screen of a big city is a few hundred outlines, not every grid.
import { errorText, getJSON } from "./api.js";
import { readConfig } from "./config.js";
import { addOption, byId, message } from "./dom.js";
import { hook } from "./hook.js";
import { AREA_LAYERS } from "./look.js";
import { GridMap } from "./map.js";
import { esc, fmt, withLang } from "./strings.js";

/**
 * GET /api/v1/heat (gridmap.maps.heat.heat). `mode` is the form's (the radio values come from the server's template);
 * the page draws each differently, so it names them.
 * @typedef {object} HeatAnswer
 * @property {"points" | "grids" | "segments"} mode
 * @property {number} count
 * @property {boolean} [truncated]       past the server's cap: only the newest cases are in the answer
 * @property {string} cases_url          the matching cases in the JSON API
 * @property {[number, number, number][]} [points]   points: [lat, lon, weight]
 * @property {number} [binned]           points: the cell (degrees) when the cases were counted in cells
 * @property {import("geojson").FeatureCollection<import("geojson").Geometry, HeatProps>} [features]
 * @property {number} [max]              grids: the highest count
 * @property {number} [max_per_km]       segments: the highest count per km
 * @property {"street"} [level]          grids, segments below their minimum zoom: counts per 街道
 * @property {number} [min_zoom]         with level: the zoom from which grids / segments are drawn
 */
/**
 * @typedef {object} HeatProps
 * @property {string} [code]
 * @property {string} [name]
 * @property {number} count
 * @property {number} [per_km2]
 * @property {number} [per_km]
 */
/**
 * A problem category of any family (GET /api/v1/categories): events, components (部件), 创城 inspection items.
 * @typedef {{code: string, parent_code: string | null, name_zh: string, name_en: string | null,
 *            family?: string}} Category
 */

/**
 * The view as the API's bbox (clamped to the world: a zoomed-out map shows more) and the map's whole zoom.
 * @param {L.Map} map
 * @returns {{bbox: string, zoom: string}}
 */
export function viewQuery(map) {
  const b = map.getBounds();
  const clamp = (/** @type {number} */ v, /** @type {number} */ lim) => Math.max(-lim, Math.min(lim, v)).toFixed(5);
  return {
    bbox: [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)].join(","),
    zoom: String(Math.floor(map.getZoom())),
  };
}

/** The form's fields that are not passed on as they are. */
const DERIVED = new Set(["class", "sub", "to"]);

/**
 * A yellow → red ramp.
 * @param {number} t  0 … 1
 */
function ramp(t) {
  const x = Math.max(0, Math.min(1, t));
  return `hsl(${(50 - 50 * x).toFixed(0)},90%,${(55 - 15 * x).toFixed(0)}%)`;
}

/**
 * Quantile class breaks of some values: the upper bound of each of `n` classes holding about as many features
 * each, so one outlier cannot wash every other feature out to the palest colour (a linear 0 – max scale did).
 * @param {number[]} values
 * @param {number} n
 * @returns {number[]}  ascending, distinct
 */
export function quantileBreaks(values, n = 5) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (!v.length) return [];
  /** @type {number[]} */
  const out = [];
  for (let i = 1; i <= n; i++) {
    const q = v[Math.min(v.length - 1, Math.ceil((i / n) * v.length) - 1)];
    if (!out.length || q > out[out.length - 1]) out.push(q);
  }
  return out;
}

/**
 * The class of a value (0 … breaks.length - 1).
 * @param {number} x
 * @param {number[]} breaks
 */
function classOf(x, breaks) {
  const i = breaks.findIndex((b) => x <= b);
  return i < 0 ? breaks.length - 1 : i;
}

/**
 * The colour of a value by its quantile class (nothing, 0, the ramp's lightest): the heatmap's and the
 * dashboard's hot spots coloured alike.
 * @param {number[]} breaks  from quantileBreaks
 * @returns {(x: number) => string}
 */
export function shadeOf(breaks) {
  return (x) => ramp(x > 0 && breaks.length ? (classOf(x, breaks) + 1) / breaks.length : 0);
}

/** The category families the filter offers, in this order (GET /api/v1/categories: family). */
const FAMILIES = ["event", "component", "inspection"];

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function heatmap(cfg = readConfig()) {
  const S = cfg.pageStrings ?? {};
  const gm = new GridMap(cfg, { layers: AREA_LAYERS });
  const msg = byId("heat-msg");
  const form = byId("heat-form", HTMLFormElement);
  const classSelect = byId("cat-class", HTMLSelectElement);
  const subSelect = byId("cat-sub", HTMLSelectElement);
  /** @type {L.Layer | null} */
  let current = null;
  let seq = 0;
  /** @type {Category[]} */
  let cats = [];

  /** @returns {Record<string, string>} the query of the form's filters */
  function params() {
    /** @type {Record<string, string>} */
    const p = {};
    const fd = new FormData(form);
    for (const [k, v] of fd) if (typeof v === "string" && v && !DERIVED.has(k)) p[k] = v;
    const category = String(fd.get("sub") || fd.get("class") || "");
    if (category) p.category = category;
    const to = String(fd.get("to") || "");
    if (to) {
      // "to" is inclusive in the form; the API's end is exclusive
      const d = new Date(to + "T00:00:00");
      d.setDate(d.getDate() + 1);
      p.to = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    }
    return p;
  }

  /** Grids and segments follow the view; points are the whole city's (binned on the server beyond a screen). */
  function perView() {
    return (new FormData(form).get("mode") || "points") !== "points";
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let moved; // a reload waiting for a move to settle

  async function load() {
    clearTimeout(moved); // (this load asks for the view as it is now)
    const my = ++seq;
    message(msg, S.loading);
    try {
      const query = { ...params(), ...(perView() ? viewQuery(gm.map) : {}) };
      /** @type {HeatAnswer} */
      const data = await getJSON(`${cfg.api}/heat?${new URLSearchParams(query)}`);
      if (my !== seq) return;
      if (current) gm.map.removeLayer(current);
      current = null;
      let legend = "";
      if (data.mode === "points") {
        const points = data.points ?? [];
        // Leaflet.heat saturates at `max` (1 by default): scale it with the number of points so hot spots stand out.
        const max = Math.max(1, Math.sqrt(data.count) / 8); // (binned points weigh the cases in their cell)
        current = L.heatLayer(points, { radius: 18, blur: 15, maxZoom: 17, max, minOpacity: 0.35 }).addTo(gm.map);
      } else {
        const street = data.level === "street";
        const grid = data.mode === "grids" || street;
        const value = (/** @type {HeatProps} */ pr) => (grid ? pr.count : (pr.per_km ?? 0));
        const breaks = quantileBreaks((data.features?.features ?? []).map((f) => value(f.properties)));
        const shade = shadeOf(breaks);
        /** @type {L.GeoJSON<HeatProps>} */
        const layer = L.geoJSON(data.features, {
          style: (f) => {
            const pr = f?.properties;
            const c = shade(pr ? value(pr) : 0);
            if (grid) return { color: c, weight: 1, fillColor: c, fillOpacity: 0.6 };
            return { color: c, weight: 5, opacity: 0.9 };
          },
          onEachFeature: (f, lyr) => {
            const pr = f.properties;
            lyr.bindPopup(
              `<b>${esc(street ? pr.name : pr.code || pr.name)}</b><br>${esc(fmt(S.case_count, { n: pr.count }))}` +
                (grid ? ` · ${pr.per_km2} ${esc(S.per_km2)}` : ` · ${pr.per_km} ${esc(S.per_km)}`),
            );
          },
        });
        current = layer.addTo(gm.map);
        // one swatch per quantile class, each with its range (per km of road, or cases per grid)
        const unit = grid ? S.case_unit ?? "" : S.per_km;
        const what = S["heat_what_" + data.mode] ?? "";
        legend =
          (street ? `<p class="heat-level">${esc(fmt(S.heat_by_street, { z: data.min_zoom ?? "", what }))}</p>` : "") +
          `<p class="muted">${esc(S.quantile_scale)}</p><ul class="legend-list quantiles">` +
          breaks
            .map((b, i) => {
              const lo = i ? breaks[i - 1] : 0;
              return (
                `<li data-class="${i}"><span class="swatch" style="background:${shade(b)}"></span>` +
                `${lo} – ${b} ${esc(unit)}</li>`
              );
            })
            .join("") +
          "</ul>";
      }
      byId("heat-legend").innerHTML = legend;
      // past the server's cap only the newest cases are drawn: say so, or the map reads as the whole picture
      byId("heat-count").textContent =
        fmt(perView() ? S.case_count_view : S.case_count, { n: data.count }) +
        (data.truncated ? (S.heat_truncated ?? "") : "");
      const casesQuery = data.cases_url.replace(/^[^?]*/, "");
      byId("case-list", HTMLAnchorElement).href = withLang("/heatmap/cases" + casesQuery, cfg.lang);
      byId("case-list-json", HTMLAnchorElement).href = data.cases_url;
      message(msg, "");
    } catch (err) {
      if (my === seq) message(msg, errorText(err), "error");
    } finally {
      if (my === seq) hook.pageReady = true;
    }
  }

  /**
   * @param {HTMLSelectElement} select
   * @param {Category[]} list
   */
  function fillCategories(select, list) {
    for (const c of list) {
      addOption(select, c.code, `${c.code} ${cfg.lang === "en" && c.name_en ? c.name_en : c.name_zh}`);
    }
  }

  /**
   * The classes of every family (事件, 部件, 创城 inspection items), one <optgroup> per family.
   * @param {HTMLSelectElement} select
   * @param {Category[]} list
   */
  function fillClasses(select, list) {
    for (const fam of FAMILIES) {
      const classes = list.filter((c) => !c.parent_code && (c.family ?? "event") === fam);
      if (!classes.length) continue;
      const g = document.createElement("optgroup");
      g.label = S["family_" + fam] ?? fam;
      g.dataset.family = fam;
      select.appendChild(g);
      for (const c of classes) {
        const o = document.createElement("option");
        o.value = c.code;
        o.textContent = `${c.code} ${cfg.lang === "en" && c.name_en ? c.name_en : c.name_zh}`;
        g.appendChild(o);
      }
    }
  }

  form.addEventListener("change", (ev) => {
    if (ev.target === classSelect) {
      subSelect.length = 1;
      const cls = classSelect.value;
      fillCategories(subSelect, cls ? cats.filter((c) => c.parent_code === cls) : []);
    }
    hook.pageReady = false;
    load();
  });
  form.addEventListener("submit", (ev) => ev.preventDefault());
  Promise.all([getJSON(`${cfg.api}/categories?active=true`), getJSON(`${cfg.api}/units`)])
    .then(([c, /** @type {{items: {id: number, name: string}[]}} */ units]) => {
      cats = Array.isArray(c) ? c : (c.items ?? []);
      fillClasses(classSelect, cats);
      const unitSelect = byId("heat-unit", HTMLSelectElement);
      for (const u of units.items) addOption(unitSelect, u.id, u.name);
    })
    .catch((err) => message(msg, errorText(err), "error"));
  gm.map.on("moveend", () => {
    if (!perView()) return;
    clearTimeout(moved);
    hook.pageReady = false;
    moved = setTimeout(load, 150); // one request when a drag or a zoom animation settles
  });
  load();
  hook.page = { reload: load };
  return gm;
}
