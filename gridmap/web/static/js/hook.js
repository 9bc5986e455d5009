// @ts-check
// The one global the page scripts set: window.gridmapTest, what the browser tests (tests/test_*browser.py) and the
// map benchmark (scripts/bench_map.py) watch. The pages themselves never read it.

/**
 * @typedef {object} TestHook
 * @property {boolean} ready      the map's first layers are drawn
 * @property {boolean} pageReady  the page's own first load is done (assign: units listed; gaps: gaps drawn;
 *                                heatmap: the heat drawn — false again while a changed filter loads)
 * @property {number} busy        requests in flight: layers, popups, search, the commander's API calls
 * @property {L.Map | null} map
 * @property {Record<string, L.GeoJSON>} layers  the map's data layers by OGC collection id
 * @property {Record<string, import("./tiles.js").TileLayer>} tiled  those drawn from vector tiles
 * @property {Record<string, Record<string, boolean>>} highlighted  the outlined feature ids, by collection
 * @property {string | null} at   the day the map shows (null: today)
 * @property {Record<string, number | null> | null} coverage  /map below the layers' minimum zoom: 社区 id →
 *                                coverage the 社区 are coloured by (null: not shown)
 * @property {object | null} page the page's own state (assign: {selection, preview}; gaps: {layer}; heatmap: {reload})
 */

/** @type {TestHook} */
export const hook = {
  ready: false,
  pageReady: false,
  busy: 0,
  map: null,
  layers: {},
  tiled: {},
  highlighted: {},
  at: null,
  coverage: null,
  page: null,
};

/** @type {{gridmapTest?: TestHook}} */ (/** @type {unknown} */ (window)).gridmapTest = hook;
