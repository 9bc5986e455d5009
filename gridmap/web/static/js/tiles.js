// @ts-check
/* global protomapsL */
// The map's vector-tile layers (protomaps-leaflet over /ogc/collections/<id>/tiles/WebMercatorQuad/{z}/{y}/{x}):
// a city of any size is drawn from 256-px tiles the server cuts and simplifies per zoom, each kept by the browser
// and revalidated by its ETag — instead of every feature of the view as GeoJSON. Colours follow look.js; a click
// asks the drawn tiles which feature lies under it (its details are then fetched by id, as for any feature).
import { lookOf } from "./look.js";

/** @typedef {import("./layers.js").FeatureProps} FeatureProps */

const BRUSH_PX = 12; // how near (screen pixels) a click must be to a road to pick it (as the GeoJSON hit lines)
const MAX_DATA_ZOOM = 16; // deeper zooms draw the z16 tiles enlarged: nothing is lost at 4096 units a tile
// protomaps-leaflet draws a data tile of zoom z over four 256-px screen tiles at zoom z + 1 (512 px): a quarter of
// the requests, shapes simplified to a screen pixel. A layer's minimum zoom on the map is its tiles' plus this.
const LEVEL_DIFF = 1;

/**
 * One tiled collection: a protomaps-leaflet layer inside a Leaflet group (the group stays in the layer control
 * while the tile layer inside is replaced for another day).
 */
export class TileLayer {
  /**
   * @param {string} ogc      the OGC API root
   * @param {string} cid      the collection
   * @param {number} minZoom  the layer's tiles' minimum zoom (the server sends empty tiles below it)
   * @param {(p: FeatureProps & {id?: number}) => L.PathOptions} styleOf  a feature's style: colour by state or unit,
   *                                                                     the highlight
   */
  constructor(ogc, cid, minZoom, styleOf) {
    this.ogc = ogc;
    this.cid = cid;
    /** the map's zoom from which the layer is drawn */
    this.minZoom = minZoom + LEVEL_DIFF;
    this.styleOf = styleOf;
    /** @type {protomapsL.Layer | null} */
    this.tiles = null;
    /** @type {string | null | undefined} the day the tiles show (undefined: none made yet) */
    this.at = undefined;
  }

  /** @param {string | null} at */
  url(at) {
    const q = at ? `?at=${encodeURIComponent(at)}` : "";
    return `${this.ogc}/collections/${this.cid}/tiles/WebMercatorQuad/{z}/{y}/{x}${q}`;
  }

  /**
   * The protomaps layer for a day (a new one when the day changed), put into ``group``.
   * @param {L.LayerGroup} group
   * @param {string | null} at
   */
  show(group, at) {
    if (this.tiles && this.at === at) return;
    if (this.tiles) group.removeLayer(/** @type {L.Layer} */ (/** @type {unknown} */ (this.tiles)));
    const look = lookOf(this.cid);
    const style = (/** @type {protomapsL.Feature | undefined} */ f) =>
      this.styleOf(/** @type {FeatureProps & {id?: number}} */ (f?.props ?? {}));
    /** @type {protomapsL.PaintRule[]} */
    const rules = [];
    if (look.shape === "area") {
      // unfilled, unless the map colours the areas by an aggregate (below the other layers' minimum zoom)
      rules.push({
        dataLayer: this.cid,
        symbolizer: new protomapsL.PolygonSymbolizer({
          fill: (_z, f) => style(f).fillColor ?? "#000",
          opacity: (_z, f) => (style(f).fill ? (style(f).fillOpacity ?? 0.5) : 0),
        }),
      });
    }
    if (look.shape === "polygon") {
      rules.push({
        dataLayer: this.cid,
        symbolizer: new protomapsL.PolygonSymbolizer({
          fill: (_z, f) => style(f).fillColor ?? "#888",
          opacity: look.path.fillOpacity ?? 0.3,
        }),
      });
    }
    if (look.shape === "point") {
      // points (部件): a small dot in the feature's colour, ringed so it shows on any polygon
      rules.push({
        dataLayer: this.cid,
        symbolizer: new protomapsL.CircleSymbolizer({
          radius: look.path.radius ?? 4,
          fill: (_z, f) => style(f).fillColor ?? "#888",
          stroke: look.path.color ?? "#222",
          width: look.path.weight ?? 1,
          opacity: look.path.fillOpacity ?? 1,
        }),
      });
    } else {
      rules.push({
        dataLayer: this.cid,
        symbolizer: new protomapsL.LineSymbolizer({
          color: (_z, f) => style(f).color ?? "#555",
          width: (_z, f) => style(f).weight ?? 1,
          opacity: (_z, f) => style(f).opacity ?? 1,
          dash: look.path.dashArray ? look.path.dashArray.toString().split(/[ ,]+/).map(Number) : undefined,
        }),
      });
    }
    this.tiles = protomapsL.leafletLayer({
      url: this.url(at),
      paintRules: rules,
      labelRules: [],
      maxDataZoom: MAX_DATA_ZOOM,
      levelDiff: LEVEL_DIFF,
      minZoom: this.minZoom,
      pane: look.pane,
      attribution: "",
    });
    this.at = at;
    group.addLayer(/** @type {L.Layer} */ (/** @type {unknown} */ (this.tiles)));
  }

  /** Draws the tiles again (another colouring, another highlight). */
  redraw() {
    this.tiles?.rerenderTiles();
  }

  /**
   * The feature drawn under a point, if any (what a click picked).
   * @param {L.LatLng} latlng
   * @returns {{id: number, properties: FeatureProps} | null}
   */
  pick(latlng) {
    if (!this.tiles) return null;
    // protomaps measures the brush in units of its 256 << levelDiff tile: one screen pixel is 1 << LEVEL_DIFF of them
    const found = this.tiles.queryTileFeaturesDebug(latlng.lng, latlng.lat, BRUSH_PX * (1 << LEVEL_DIFF));
    for (const picked of found.values()) {
      for (const p of picked) {
        if (p.layerName !== this.cid) continue;
        const props = /** @type {FeatureProps & {id?: number}} */ (p.feature.props);
        if (typeof props.id === "number") return { id: props.id, properties: props };
      }
    }
    return null;
  }
}
