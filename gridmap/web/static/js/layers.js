// @ts-check
// The map's data layers: each is one OGC collection (/ogc/collections/<id>/items) fetched for the view's bounding
// box and zoom — paged, a superseded request aborted, a view already held not fetched again — and drawn with
// Leaflet's canvas renderer in its look (look.js), coloured by responsibility state or by unit. A page may draw some
// layers from vector tiles instead (tiles.js; /map does, for the big layers): their group holds the tile layer.
import { getJSON, isAbort } from "./api.js";
import { TileLayer } from "./tiles.js";
import { HIGHLIGHT_COLOR, coverageColor } from "./colors.js";
import { COMMUNITIES, PANES, baseStyle, lookOf } from "./look.js";

/**
 * What the layers and popups read of a feature's properties (each collection has more).
 * @typedef {object} FeatureProps
 * @property {string} [responsibility]   assignable layers: the state of its responsibility on the day shown
 * @property {number | null} [unit_id]   the responsible unit (a case: the unit handling it)
 * @property {string | null} [unit_name]
 * @property {string} [name]
 * @property {string} [code]
 * @property {string} [status]           cases
 * @property {string} [category]
 * @property {string | null} [category_name]
 * @property {string | null} [deadline]   cases: when it is due (ISO with its offset)
 * @property {string | null} [light]      cases: the traffic light now (green, yellow, red)
 * @property {boolean} [overdue]          cases: past the deadline
 * @property {string} [class_name]        components: the class (井盖, 路灯…); their unit is the owner 权属单位
 */
/** @typedef {import("geojson").Feature<import("geojson").Geometry, FeatureProps>} Feature */
/** @typedef {import("geojson").FeatureCollection<import("geojson").Geometry, FeatureProps>} FeatureCollection */
/** @typedef {Pick<Feature, "id" | "properties">} FeatureRef  a feature as far as popups and clicks need it */

const PAGE_LIMIT = 5000; // features per request: one page per layer and view (the next pages are not followed)
/** The width of a road's invisible hit line: a click or a tap this near a road selects the road, not what lies
 * beneath it (a grid, a compound, a 社区). */
export const HIT_WEIGHT = 16;

/**
 * A box (or zoom) a layer holds or is fetching, with the day and filter it was asked with (key).
 * @typedef {object} View
 * @property {number[]} bbox   [west, south, east, north]
 * @property {number} zoom
 * @property {string} key
 */
/**
 * @typedef {object} LayerState
 * @property {View | null} loaded
 * @property {(View & {promise: Promise<void>}) | null} pending
 * @property {AbortController | null} ctrl
 */

/**
 * @typedef {object} DataLayerOptions
 * @property {string[]} [visible]   the layers on at start (default: all)
 * @property {Record<string, string | number>} [filter]  query parameters of the non-area layers (a unit's page:
 *                                                       unit_id)
 * @property {string | null} [at]
 * @property {Record<string, number>} [tiles]  the layers drawn from vector tiles, with their minimum zooms
 * @property {(cid: string, f: Feature, e: L.LeafletMouseEvent) => void} onClick
 * @property {(message: string) => void} onError
 * @property {(cid: string) => void} [onTruncated]  a layer's view holds more than one page: only the first is drawn
 */

/** The data layers of one map. */
export class DataLayers {
  /**
   * @param {L.Map} map
   * @param {string} ogc    the OGC API root
   * @param {string[]} ids  the collections to have, bottom to top of the layer control
   * @param {DataLayerOptions} opts
   */
  constructor(map, ogc, ids, opts) {
    this.map = map;
    this.ogc = ogc;
    this.ids = ids;
    this.opts = opts;
    this.at = opts.at ?? null;
    this.filter = opts.filter ?? {};
    /** @type {"state" | "unit"} */
    this.colorMode = "state";
    /** @type {Record<string, L.GeoJSON<FeatureProps>>} */
    this.layers = {};
    /** @type {Record<string, Record<string, boolean>>} */
    this.highlighted = {};
    /** @type {Map<L.Layer, string>} */
    this.idOf = new Map();
    /** @type {Record<string, LayerState>} */
    this.state = {};
    /** @type {Record<string, L.GeoJSON<FeatureProps>>} a line layer's invisible wide twin that takes its clicks */
    this.hitLines = {};
    /** @type {Record<string, number | null> | null} 社区 id → coverage (0–1) drawn below the layers' minimum
     *  zoom, instead of their features (null: not drawn) */
    this.coverage = null;
    /** @type {Record<string, TileLayer>} the layers drawn from vector tiles (their group is in this.layers) */
    this.tiled = {};
    const renderer = L.canvas({ padding: 0.1, tolerance: 5 });
    PANES.forEach((p, i) => {
      if (!map.getPane(p)) map.createPane(p).style.zIndex = String(400 + i * 10);
    });
    const visible = opts.visible ?? ids;
    for (const cid of ids) {
      const look = lookOf(cid);
      const minZoom = opts.tiles?.[cid];
      if (minZoom !== undefined) {
        // the group the layer control switches; the tile layer inside it is made when first shown
        /** @type {L.GeoJSON<FeatureProps>} */
        const group = L.geoJSON(undefined, { pane: look.pane });
        this.tiled[cid] = new TileLayer(ogc, cid, minZoom, (p) =>
          this.styleFor(cid, /** @type {Feature} */ (/** @type {unknown} */ ({ id: p.id, properties: p }))),
        );
        this.layers[cid] = group;
        this.idOf.set(group, cid);
        this.state[cid] = { loaded: null, pending: null, ctrl: null };
        if (visible.includes(cid)) group.addTo(map);
        continue;
      }
      /** @type {L.GeoJSON<FeatureProps>} */
      const layer = L.geoJSON(undefined, {
        // @ts-expect-error  Leaflet passes the renderer on to the vector layers; its GeoJSONOptions type omits it
        renderer,
        pane: look.pane,
        style: (f) => (f ? this.styleFor(cid, /** @type {Feature} */ (f)) : {}),
        pointToLayer: (_f, latlng) => L.circleMarker(latlng, { renderer, pane: look.pane, ...look.path }),
        onEachFeature: (f, lyr) => {
          lyr.on("click", (e) => {
            L.DomEvent.stopPropagation(e);
            // a 街道's outline on the canvas takes the clicks inside it: a tiled feature drawn there goes first
            if (look.shape === "area" && this.clickTiles(/** @type {L.LeafletMouseEvent} */ (e))) return;
            opts.onClick(cid, /** @type {Feature} */ (f), /** @type {L.LeafletMouseEvent} */ (e));
          });
        },
      });
      this.layers[cid] = layer;
      this.idOf.set(layer, cid);
      this.state[cid] = { loaded: null, pending: null, ctrl: null };
      if (look.shape === "line") {
        /** @type {L.GeoJSON<FeatureProps>} */
        const hit = L.geoJSON(undefined, {
          // @ts-expect-error  as above: the renderer is passed on to the vector layers
          renderer,
          pane: look.pane,
          style: { opacity: 0, weight: HIT_WEIGHT, fill: false },
          onEachFeature: (f, lyr) => {
            lyr.on("click", (e) => {
              L.DomEvent.stopPropagation(e);
              opts.onClick(cid, /** @type {Feature} */ (f), /** @type {L.LeafletMouseEvent} */ (e));
            });
          },
        });
        this.hitLines[cid] = hit;
        // the hit line follows its layer on and off (the layer control switches the visible one only)
        layer.on("add", () => hit.addTo(map));
        layer.on("remove", () => hit.remove());
      }
      if (visible.includes(cid)) layer.addTo(map);
    }
    if (Object.keys(this.tiled).length) map.on("click", (e) => this.clickTiles(e));
  }

  /**
   * A click on the map (or inside an area outline): the topmost tiled feature under it, if any, gets it.
   * @param {L.LeafletMouseEvent} e
   * @returns {boolean} a tiled feature took the click
   */
  clickTiles(e) {
    const rank = (/** @type {string} */ cid) => PANES.indexOf(lookOf(cid).pane);
    const order = Object.keys(this.tiled).sort((a, b) => rank(b) - rank(a));
    for (const cid of order) {
      if (!this.map.hasLayer(this.layers[cid]) || this.map.getZoom() < this.tiled[cid].minZoom) continue;
      const f = this.tiled[cid].pick(e.latlng);
      if (f) {
        this.opts.onClick(cid, /** @type {Feature} */ (/** @type {unknown} */ (f)), e); // popups read id, props
        return true;
      }
    }
    return false;
  }

  /**
   * The tiled layers switched on but not drawn at this zoom (below their minimum zoom): a hint names them.
   * @returns {string[]}
   */
  hiddenByZoom() {
    const z = this.map.getZoom();
    return Object.keys(this.tiled).filter((cid) => this.map.hasLayer(this.layers[cid]) && z < this.tiled[cid].minZoom);
  }

  /**
   * One canvas draws every layer, in the order they were last filled (panes do not order a shared canvas), and a
   * click goes to the topmost feature drawn under it: restore the drawing order — areas, grids, compounds, roads,
   * the roads' hit lines, cases — so a road lies above the polygons it crosses and takes their clicks.
   */
  reorder() {
    const rank = (/** @type {string} */ cid) => PANES.indexOf(lookOf(cid).pane);
    const order = [...this.ids].sort((a, b) => rank(a) - rank(b));
    const front = (/** @type {L.GeoJSON} */ g) => {
      if (this.map.hasLayer(g)) g.bringToFront();
    };
    for (const cid of order) {
      if (lookOf(cid).shape === "point") continue;
      front(this.layers[cid]);
    }
    for (const cid of order) if (this.hitLines[cid]) front(this.hitLines[cid]);
    for (const cid of order) if (lookOf(cid).shape === "point") front(this.layers[cid]);
  }

  /**
   * The style of a feature: its collection's look, coloured by state or unit, and the highlight.
   * @param {string} cid
   * @param {Feature} f
   * @returns {L.PathOptions}
   */
  styleFor(cid, f) {
    let st = baseStyle(lookOf(cid), this.colorMode, f.properties ?? {});
    const rate = cid === COMMUNITIES && this.coverage && f.id != null ? this.coverage[f.id] : undefined;
    if (rate !== undefined) st = { ...st, fill: true, fillColor: coverageColor(rate), fillOpacity: 0.55 };
    if (f.id != null && this.highlighted[cid]?.[f.id]) {
      return { ...st, color: HIGHLIGHT_COLOR, weight: (st.weight ?? 1) + 3, opacity: 1 };
    }
    return st;
  }

  /** Styles every feature again (after a change of colouring or highlight). */
  restyle() {
    for (const t of Object.values(this.tiled)) t.redraw();
    for (const cid of this.ids) {
      if (this.tiled[cid]) continue;
      this.layers[cid].setStyle((f) => (f ? this.styleFor(cid, /** @type {Feature} */ (f)) : {}));
    }
  }

  /**
   * Outlines these features of a collection (replacing its earlier highlight; [] clears it).
   * @param {string} cid
   * @param {Array<number | string>} ids
   */
  highlight(cid, ids) {
    /** @type {Record<string, boolean>} */
    const set = {};
    for (const id of ids) set[id] = true;
    this.highlighted[cid] = set;
  }

  /** @returns {number[]} the view's box, 20 % larger, clamped to the world, rounded to 6 decimals */
  viewBox() {
    const b = this.map.getBounds().pad(0.2);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v, i) => {
      const lim = i % 2 ? 90 : 180;
      return +Math.max(-lim, Math.min(lim, v)).toFixed(6);
    });
  }

  /**
   * @param {string} cid
   * @param {number[]} bbox
   * @param {number} zoom
   */
  itemsUrl(cid, bbox, zoom) {
    const look = lookOf(cid);
    const params = new URLSearchParams({ bbox: bbox.join(","), zoom: String(zoom), limit: String(PAGE_LIMIT) });
    if (this.at) params.set("at", this.at);
    const extra = { ...look.query, ...(look.shape === "area" ? {} : this.filter) };
    for (const [k, v] of Object.entries(extra)) if (v != null) params.set(k, String(v));
    return `${this.ogc}/collections/${cid}/items?${params}`;
  }

  /**
   * The first page of a collection's items for the view (PAGE_LIMIT features): the map never walks every page —
   * a layer too big for one page is drawn from vector tiles instead.
   * @param {string} url
   * @param {AbortSignal} signal
   * @returns {Promise<{features: Feature[], more: boolean}>}
   */
  async fetchPage(url, signal) {
    /** @type {FeatureCollection & {links?: {rel: string}[]}} */
    const fc = await getJSON(url, signal);
    return { features: fc.features, more: (fc.links ?? []).some((l) => l.rel === "next") };
  }

  /**
   * Fetches and draws a layer for the current view, unless it holds the view already (force: fetch anyway).
   * @param {string} cid
   * @param {boolean} force
   * @returns {Promise<void>}
   */
  async load(cid, force) {
    const layer = this.layers[cid];
    const st = this.state[cid];
    const look = lookOf(cid);
    if (!this.map.hasLayer(layer)) return;
    const tiled = this.tiled[cid];
    if (tiled) {
      tiled.show(layer, this.at); // the tile layer fetches its own tiles; a new day: a new tile layer
      return;
    }
    const zoom = this.map.getZoom();
    if (look.minZoom && zoom < look.minZoom) {
      layer.clearLayers();
      this.hitLines[cid]?.clearLayers();
      st.loaded = null;
      return;
    }
    const view = { bbox: this.viewBox(), zoom, key: `${this.at}|${JSON.stringify(this.filter)}` };
    // held already: the same day and filter, a box around the view, detailed enough and not too detailed
    if (!force && covers(st.loaded, view)) return;
    if (!force && st.pending && covers(st.pending, view)) return st.pending.promise; // under way already
    st.ctrl?.abort();
    const ctrl = (st.ctrl = new AbortController());
    const pending = {
      ...view,
      promise: (async () => {
        try {
          const page = await this.fetchPage(this.itemsUrl(cid, view.bbox, Math.round(zoom)), ctrl.signal);
          const feats = page.features;
          if (page.more) this.opts.onTruncated?.(cid);
          const fc = /** @type {FeatureCollection} */ ({ type: "FeatureCollection", features: feats });
          layer.clearLayers();
          layer.addData(fc);
          const hit = this.hitLines[cid];
          if (hit) {
            hit.clearLayers();
            hit.addData(fc);
          }
          this.reorder();
          st.loaded = view;
        } catch (e) {
          if (!isAbort(e)) this.opts.onError(e instanceof Error ? e.message : String(e));
        } finally {
          if (st.ctrl === ctrl) st.pending = null; // not superseded meanwhile
        }
      })(),
    };
    st.pending = pending;
    return pending.promise;
  }

  /**
   * Loads every layer for the current view and waits until each has what it last asked for (a newer view may
   * supersede requests meanwhile).
   * @param {boolean} force
   */
  async loadAll(force) {
    await Promise.all(this.ids.map((cid) => this.load(cid, force)));
    for (let round = 0; round < 10; round++) {
      const pending = this.ids.map((cid) => this.state[cid].pending).filter((p) => p !== null);
      if (!pending.length) break;
      await Promise.all(pending.map((p) => p.promise));
    }
  }
}

/**
 * Does what a layer holds (or is fetching) serve this view? The same key, a box around it, a zoom at least as
 * detailed and less than two levels more detailed.
 * @param {View | null} held
 * @param {View} view
 */
function covers(held, view) {
  if (!held || held.key !== view.key || held.zoom < view.zoom || held.zoom - view.zoom >= 2) return false;
  const [o, i] = [held.bbox, view.bbox];
  return o[0] <= i[0] && o[1] <= i[1] && o[2] >= i[2] && o[3] >= i[3];
}
