// @ts-check
// The dashboard's small map of hot spots (start page and large screen 大屏): the hottest unit grids of the reader's
// scope from GET /api/v1/heat?mode=grids (the maintained heat counts for a city-wide reader, the same answer the
// heatmap page draws), coloured yellow → red by the heatmap's quantile classes over the configured basemap (none
// offline, as every map of the app). The list beside it stays: the map is a picture of the same facts.
import { getJSON } from "./api.js";
import { quantileBreaks, shadeOf } from "./heatmap.js";

/** At most this many grids are drawn: a hot-spot picture, not the heatmap page. */
export const MAP_GRIDS = 150;

/**
 * @param {HTMLElement} el  the map's container (data-basemap: the tile URL, data-attribution, data-bounds)
 * @returns {{ refresh: () => Promise<void> }}
 */
export function hotSpotMap(el) {
  // a small map inside a scrolling page: the wheel and a phone's finger scroll the page, the buttons zoom
  const map = L.map(el, {
    zoomControl: true,
    attributionControl: Boolean(el.dataset.basemap),
    zoomSnap: 0.5,
    scrollWheelZoom: false,
    dragging: !L.Browser.mobile,
  });
  /** @type {number[] | null} [west, south, east, north]: the reader's scope, else the city, until the grids are in */
  const b = JSON.parse(el.dataset.bounds || "null");
  if (b) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false });
  else map.setView([0, 0], 1);
  if (el.dataset.basemap) {
    L.tileLayer(el.dataset.basemap, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  /** @type {L.GeoJSON | null} */
  let layer = null;

  async function refresh() {
    /** @type {import("./heatmap.js").HeatAnswer} */
    const data = await getJSON(`/api/v1/heat?mode=grids&top=${MAP_GRIDS}`); // the hottest only, not every grid
    const all = data.features?.features ?? [];
    const hot = all.filter((f) => f.properties.count > 0).sort((a, b) => b.properties.count - a.properties.count);
    const shown = hot.slice(0, MAP_GRIDS);
    const breaks = quantileBreaks(shown.map((f) => f.properties.count));
    const shade = shadeOf(breaks);
    if (layer) map.removeLayer(layer);
    /** @type {import("geojson").FeatureCollection} */
    const collection = { type: "FeatureCollection", features: shown };
    layer = L.geoJSON(collection, {
      style: (f) => {
        const c = shade(f?.properties.count ?? 0);
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.75 };
      },
      onEachFeature: (f, lyr) => lyr.bindTooltip(`${f.properties.code ?? ""} · ${f.properties.count}`),
    }).addTo(map);
    if (shown.length) map.fitBounds(layer.getBounds(), { padding: [8, 8], maxZoom: 16, animate: false });
    el.dataset.drawn = String(shown.length);
  }

  window.addEventListener("resize", () => map.invalidateSize());
  return { refresh };
}
