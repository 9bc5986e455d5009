// @ts-check
// 门前五包 (/shops, shops.html): every open shop on a tile-less map, its frontage 门前责任区 drawn as a polygon and
// the shop as a dot that opens its page (/api/v1/shops/frontages).
import { getJSON } from "../api.js";
import { hook } from "../hook.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

async function shopsPage() {
  /** @type {{frontages: string, shop: string, strings: Record<string, string>}} */
  const cfg = JSON.parse($("shops-config").textContent || "{}");
  const map = L.map("shops-map", { attributionControl: false, preferCanvas: true }).setView([37.52, 111.14], 14);
  hook.map = map;
  const data = await getJSON(cfg.frontages);
  const fronts = L.geoJSON(undefined, { style: { color: "#1565c0", weight: 1, fillOpacity: 0.25 } }).addTo(map);
  const dots = L.layerGroup().addTo(map);
  for (const f of data.features) {
    if (f.properties.frontage) fronts.addData(f.properties.frontage);
    const [lon, lat] = f.geometry.coordinates;
    const dot = L.circleMarker([lat, lon], { radius: 4, color: "#c62828", weight: 1, fillOpacity: 0.9 });
    dot.bindTooltip(f.properties.name);
    dot.on("click", () => {
      window.location.href = cfg.shop.replace(/0$/, String(f.properties.id));
    });
    dots.addLayer(dot);
  }
  const bounds = fronts.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 17 });
  hook.layers = { frontages: fronts };
  hook.pageReady = true;
}

shopsPage();
