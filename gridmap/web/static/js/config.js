// @ts-check
// The page config the server renders into every map page (<script type="application/json" id="gridmap-config">,
// built by gridmap/web/pages/maps.py::_map_config) and what derives from it: the target kinds, their OGC collections
// and their labels. The scripts keep no copy of that vocabulary.

/**
 * One kind of feature a unit can be responsible for (gridmap.store.targets.kinds_config).
 * @typedef {object} KindConfig
 * @property {string} kind        the API's name ("segment" …): /api/v1/features/<kind>/<id>, assignment targets
 * @property {string} collection  its OGC collection, the map layer showing it ("segments" …)
 * @property {string} label       its name in the page's language ("路段" …)
 */

/**
 * @typedef {object} MapConfig
 * @property {string} lang          "zh_CN" or "en"
 * @property {string} ogc           the OGC API – Features root ("/ogc")
 * @property {string} api           the JSON API root ("/api/v1")
 * @property {string} mapName       the global variable in which folium's page script left the L.Map
 * @property {Record<string, string>} strings  the map's strings in the page's language
 * @property {KindConfig[]} kinds   the assignable kinds, in the server's order
 * @property {number} endingDays    a responsibility ending within this many days shows as "ending"
 * @property {string} timeZone      the city's time zone (IANA): times are shown in it
 * @property {Record<string, string>} statuses  each case status's name in the page's language
 * @property {string | null} [at]   the day the map shows (YYYY-MM-DD); null or absent: today
 * @property {number[] | null} [fitBounds]  [west, south, east, north] to show first
 * @property {string} [page]        which page ("coverage", "unit", "assign", "gaps", "heatmap")
 * @property {Record<string, number>} [tiles]  the layers drawn from vector tiles, with their minimum zooms (/map)
 * @property {number} [unitId]      a unit's page: the unit
 * @property {Record<string, string>} [pageStrings]  the commander's pages: their own strings
 * @property {Record<string, string>} [query]        the gaps page: the query of its gaps (at, kind, street)
 * @property {boolean} [canAssign]   the gaps page: the reader may assign (each gap links to /assign)
 */

/**
 * Reads the page config.
 * @param {string} [id]  the id of the JSON <script>
 * @returns {MapConfig}
 */
export function readConfig(id = "gridmap-config") {
  const el = document.getElementById(id);
  if (!el || !el.textContent) throw new Error(`the page has no #${id} config`);
  return JSON.parse(el.textContent);
}

/** The assignable kinds of the page config, looked up either way: kind ↔ collection, and a kind's label. */
export class Kinds {
  /** @param {KindConfig[]} list */
  constructor(list) {
    this.list = list;
    /** @type {Map<string, KindConfig>} */
    this.byKind = new Map(list.map((k) => [k.kind, k]));
    /** @type {Map<string, KindConfig>} */
    this.byCollection = new Map(list.map((k) => [k.collection, k]));
  }

  /** The OGC collections (map layers) of the kinds. */
  get collections() {
    return this.list.map((k) => k.collection);
  }

  /**
   * The kind a layer shows (null: not an assignable layer, e.g. streets or cases).
   * @param {string} collection
   * @returns {string | null}
   */
  kindOf(collection) {
    return this.byCollection.get(collection)?.kind ?? null;
  }

  /**
   * The layer showing a kind (null: not an assignable kind, e.g. a search hit's "unit" or "road").
   * @param {string} kind
   * @returns {string | null}
   */
  collectionOf(kind) {
    return this.byKind.get(kind)?.collection ?? null;
  }

  /**
   * A kind's label in the page's language (undefined: not an assignable kind).
   * @param {string} kind
   * @returns {string | undefined}
   */
  label(kind) {
    return this.byKind.get(kind)?.label;
  }
}
