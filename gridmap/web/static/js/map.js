// @ts-check
// The map of every map page: folium's L.Map with the data layers (layers.js), the layer control, the legend, the
// status line and the features' popups. Page entry points (coverage.js, unit.js, assign.js, gaps.js, heatmap.js)
// create one and add their own behaviour.
import { Kinds } from "./config.js";
import { DataLayers } from "./layers.js";
import { AREA_LAYERS, CASE_LAYER, COMMUNITIES, COMPONENT_LAYER, targetLayers } from "./look.js";
import { getJSON } from "./api.js";
import { renderLegend } from "./legend.js";
import { popupHtml } from "./popups.js";
import { hook } from "./hook.js";
import { esc } from "./strings.js";

/** @typedef {import("./config.js").MapConfig} MapConfig */
/** @typedef {import("./layers.js").Feature} Feature */
/** @typedef {import("./layers.js").FeatureRef} FeatureRef */

/**
 * A click on a feature: its collection, its assignable kind (null: a case or an area), the Leaflet event.
 * @typedef {object} FeatureClick
 * @property {FeatureRef} feature
 * @property {string} collection
 * @property {string | null} kind
 * @property {{latlng: L.LatLng}} event
 */

/**
 * @typedef {object} MapOptions
 * @property {string[]} [layers]   the collections (default: 街道, 社区, the assignable ones, cases)
 * @property {string[]} [visible]  those on at start (default: all)
 * @property {Record<string, string | number>} [filter]  for the non-area layers (a unit's page: {unit_id})
 * @property {number[] | null} [fitBounds]  [west, south, east, north] to show first
 * @property {(info: FeatureClick) => boolean} [onFeatureClick]  true: handled, no popup
 * @property {boolean} [tiles]  draw the layers the config names (cfg.tiles) from vector tiles
 */

/**
 * folium's page script leaves the L.Map in a global variable (named in the config); the map is its, not ours.
 * @param {string} name
 * @returns {L.Map}
 */
function foliumMap(name) {
  const map = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (window))[name];
  if (!(map instanceof L.Map)) throw new Error(`the page has no Leaflet map ${name}`);
  return map;
}

export class GridMap {
  /**
   * @param {MapConfig} cfg
   * @param {MapOptions} [opts]
   */
  constructor(cfg, opts = {}) {
    this.cfg = cfg;
    this.strings = cfg.strings;
    this.kinds = new Kinds(cfg.kinds);
    this.opts = opts;
    this.map = foliumMap(cfg.mapName);
    // the components come with the tiles that draw them (a page whose config tiles them: /map)
    const parts = opts.tiles && cfg.tiles?.[COMPONENT_LAYER] !== undefined ? [COMPONENT_LAYER] : [];
    const ids = opts.layers ?? [...AREA_LAYERS, ...targetLayers(cfg.kinds), ...parts, CASE_LAYER];
    this.data = new DataLayers(this.map, cfg.ogc, ids, {
      visible: opts.visible,
      filter: opts.filter,
      at: cfg.at ?? null,
      tiles: opts.tiles ? cfg.tiles : undefined,
      onClick: (cid, f, e) => this.featureClicked(cid, f, e),
      onError: (msg) => this.status(msg, true),
      onTruncated: () => {
        this.truncated = true;
      },
    });
    this.layers = this.data.layers;
    /** @type {Promise<unknown> | undefined} the gaps summary (asked once, when first zoomed out) */
    this.summary = undefined;
    this.statusEl = document.getElementById("map-status");
    /** a layer of the last load had more features in view than one page (only the first is drawn) */
    this.truncated = false;
    this.legendEl = document.getElementById("legend");

    /** @type {Record<string, L.Layer>} */
    const overlays = {};
    for (const cid of ids) overlays[this.layerTitle(cid)] = this.layers[cid];
    // a phone folds the layer list behind its button: open, it would cover a third of the map
    const narrow = window.matchMedia("(max-width: 700px)").matches;
    L.control.layers(undefined, overlays, { collapsed: narrow, position: "topright" }).addTo(this.map);
    // metres only: a Chinese command centre has no use for feet (folium's own scale control shows both)
    L.control.scale({ imperial: false }).addTo(this.map);
    this.map.on("overlayadd", (e) => {
      const cid = this.data.idOf.get(e.layer);
      if (cid) this.data.load(cid, false).then(() => this.updateLegend());
    });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    this.hintEl = document.createElement("div");
    this.hintEl.className = "zoom-hint";
    this.hintEl.setAttribute("aria-live", "polite");
    this.map.getContainer().appendChild(this.hintEl);
    this.map.on("zoomend overlayadd overlayremove", () => this.updateHint());
    this.map.on("moveend", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.reload(false), 150);
    });

    hook.map = this.map;
    hook.layers = this.layers;
    hook.tiled = this.data.tiled;
    hook.highlighted = this.data.highlighted;
    hook.at = this.at;
    const b = opts.fitBounds;
    if (b) this.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20], maxZoom: 17, animate: false });
    this.reload(true);
  }

  /**
   * A layer's name in the layer control: its title from the server's strings, else its kind's label.
   * @param {string} cid
   * @returns {string}
   */
  layerTitle(cid) {
    const kind = this.kinds.kindOf(cid);
    return this.strings[cid] ?? (kind && this.kinds.label(kind)) ?? cid;
  }

  /** Below a tiled layer's minimum zoom, a hint ("放大后显示路段") rather than an empty map. */
  updateHint() {
    if (!this.hintEl) return;
    const hidden = this.data.hiddenByZoom().map((cid) => this.strings["zoom_in_" + cid] ?? cid);
    this.hintEl.replaceChildren(
      ...hidden.map((text) => Object.assign(document.createElement("span"), { textContent: text })),
    ); // one phrase a piece, never broken inside
    this.hintEl.hidden = hidden.length === 0;
    this.showCoverage(this.data.hiddenByZoom());
  }

  /**
   * Below the layers' minimum zoom the 社区 are coloured by the coverage of the hidden kinds (the lowest of them),
   * from the maintained gap totals (/api/v1/gaps/summary): a city's overview without a feature sent.
   * @param {string[]} hidden  the tiled layers not drawn at this zoom
   */
  async showCoverage(hidden) {
    const kinds = hidden.filter((cid) => ["segments", "compounds", "grids"].includes(cid));
    const on = kinds.length > 0 && !this.at && this.map.hasLayer(this.layers[COMMUNITIES] ?? L.layerGroup());
    if (!on) {
      if (this.data.coverage) {
        this.data.coverage = hook.coverage = null;
        this.data.restyle();
      }
      return;
    }
    try {
      this.summary ??= getJSON(`${this.cfg.api}/gaps/summary`);
      const summary = /** @type {{streets: Array<{communities: Array<Record<string, number | null>>}>}} */ (
        await this.summary
      );
      /** @type {Record<string, number | null>} */
      const rates = {};
      for (const street of summary.streets) {
        for (const c of street.communities) {
          const known = kinds.map((k) => c[`${k}_coverage`]).filter((v) => typeof v === "number");
          rates[String(c.id)] = known.length ? Math.min(.../** @type {number[]} */ (known)) : null;
        }
      }
      this.data.coverage = hook.coverage = rates;
      this.data.restyle();
      this.hintEl?.append(
        Object.assign(document.createElement("span"), { textContent: this.strings.coverage_by_community }),
      );
    } catch {
      this.summary = undefined; // asked again next time
    }
  }

  /** @returns {string | null} the day the map shows (null: today) */
  get at() {
    return this.data.at;
  }

  /**
   * Fetches the visible layers for the current view (force: even those holding it already).
   * @param {boolean} force
   */
  async reload(force) {
    this.status(this.strings.loading);
    this.truncated = false;
    await this.data.loadAll(force);
    if (!this.statusEl?.classList.contains("error")) this.status(this.truncated ? this.strings.too_many_features : "");
    this.updateLegend();
    this.updateHint();
    hook.ready = true;
  }

  /**
   * Shows the map as of a day (null: today).
   * @param {string | null} day  YYYY-MM-DD
   */
  setAt(day) {
    this.data.at = day || null;
    hook.at = this.data.at;
    return this.reload(true);
  }

  /** @param {string} mode  "state" or "unit" */
  setColorMode(mode) {
    this.data.colorMode = mode === "unit" ? "unit" : "state";
    this.restyle();
  }

  restyle() {
    this.data.restyle();
    this.updateLegend();
  }

  /**
   * Outlines features of a collection ([] clears).
   * @param {string} cid
   * @param {Array<number | string>} ids
   */
  highlight(cid, ids) {
    this.data.highlight(cid, ids);
    this.restyle();
  }

  /**
   * A line under the map's panel: what is loading, or what went wrong.
   * @param {string | undefined} msg
   * @param {boolean} [isError]
   */
  status(msg, isError = false) {
    if (!this.statusEl) return;
    this.statusEl.textContent = msg ?? "";
    this.statusEl.className = isError ? "map-status error" : "map-status";
  }

  updateLegend() {
    if (!this.legendEl) return;
    renderLegend(this.legendEl, {
      map: this.map,
      layers: this.kinds.collections
        .filter((cid) => this.layers[cid] && !this.data.tiled[cid]) // tiles are not counted: the colours only
        .map((cid) => {
          const kind = this.kinds.kindOf(cid) ?? "";
          return { layer: this.layers[cid], label: this.layerTitle(cid), unit: this.strings["unit_count_" + kind] ?? "" };
        }),
      cases: this.layers[CASE_LAYER] ?? null,
      colorMode: this.data.colorMode,
      strings: this.strings,
    });
  }

  /**
   * Opens a feature's popup (as a click on it would), at a point or at the feature drawn.
   * @param {string} cid
   * @param {number} id
   * @param {L.LatLng} [latlng]
   */
  openPopup(cid, id, latlng) {
    const drawn = /** @type {(L.Layer & {feature: Feature})[]} */ (this.layers[cid].getLayers());
    const hit = drawn.find((l) => l.feature?.id === id); // a tiled layer's group holds no features
    /** @type {FeatureRef} */
    const f = hit ? hit.feature : { id, properties: {} };
    const where = latlng ?? (hit ? centreOf(hit) : null);
    if (where) this.featureClicked(cid, f, { latlng: where });
  }

  /**
   * @param {string} cid
   * @param {FeatureRef} f
   * @param {{latlng: L.LatLng}} e
   */
  featureClicked(cid, f, e) {
    const kind = this.kinds.kindOf(cid);
    if (this.opts.onFeatureClick?.({ feature: f, collection: cid, kind, event: e }) === true) return;
    const popup = L.popup({ maxWidth: 360, minWidth: 240 })
      .setLatLng(e.latlng)
      .setContent(esc(this.strings.loading))
      .openOn(this.map);
    const ctx = {
      api: this.cfg.api,
      lang: this.cfg.lang,
      strings: this.strings,
      at: this.at,
      kind,
      kindLabel: kind ? this.kinds.label(kind) : undefined,
      timeZone: this.cfg.timeZone,
      statuses: this.cfg.statuses,
    };
    popupHtml(ctx, cid, f).then((html) => popup.setContent(html));
  }
}

/**
 * @param {L.Layer} layer  a drawn feature
 * @returns {L.LatLng | null}
 */
function centreOf(layer) {
  if (layer instanceof L.Polyline) return layer.getBounds().getCenter(); // polygons too
  if (layer instanceof L.CircleMarker || layer instanceof L.Marker) return layer.getLatLng();
  return null;
}
