// @ts-check
// A shop's page (/shops/<id>, shop.html): its frontage 门前责任区 and its neighbours' on a tile-less map. An editor
// drags the shop's marker to move it: PATCH /api/v1/shops/<id> with the new lon/lat, and the frontages (its own
// and its neighbours', which the server draws again) are reloaded. Its road segment is drawn from the OGC API.
import { fmt } from "../strings.js";
import { ApiError, getJSON, request } from "../api.js";
import { hook } from "../hook.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

async function shopPage() {
  /** @type {{shop: any, editor: boolean, api: string, frontages: string, segment: string, strings: Record<string, string>}} */
  const cfg = JSON.parse($("shop-config").textContent || "{}");
  const shop = cfg.shop;
  const map = L.map("shop-map", { attributionControl: false }).setView([shop.lat, shop.lon], 18);
  hook.map = map;
  const others = L.geoJSON(undefined, { style: { color: "#757575", weight: 1, fillOpacity: 0.15 } }).addTo(map);
  const own = L.geoJSON(undefined, { style: { color: "#1565c0", weight: 2, fillOpacity: 0.35 } }).addTo(map);
  const road = L.geoJSON(undefined, { style: { color: "#616161", weight: 4, opacity: 0.7 } }).addTo(map);
  const marker = L.marker([shop.lat, shop.lon], { draggable: cfg.editor, title: shop.name }).addTo(map);

  /** @param {number | null} segmentId */
  async function drawRoad(segmentId) {
    road.clearLayers();
    if (segmentId != null) road.addData(await getJSON(cfg.segment.replace(/0$/, String(segmentId))));
  }

  async function drawFrontages() {
    const data = await getJSON(cfg.frontages);
    others.clearLayers();
    own.clearLayers();
    for (const f of data.features) {
      if (!f.properties.frontage) continue;
      (f.properties.id === shop.id ? own : others).addData(f.properties.frontage);
    }
    hook.layers = { own, others };
  }

  marker.on("dragend", async () => {
    const at = marker.getLatLng();
    const status = $("move-status");
    hook.pageReady = false;
    try {
      const moved = await request(cfg.api, { method: "PATCH", body: { lon: at.lng, lat: at.lat } });
      status.textContent = fmt(cfg.strings.shop_moved, { m2: Math.round(moved.frontage_m2 ?? 0) });
      status.className = "flash";
      $("shop-segment").textContent = moved.segment_name ?? "–";
      $("shop-frontage-m2").textContent =
        moved.frontage_m2 == null
          ? cfg.strings.shop_no_frontage
          : fmt(cfg.strings.shop_frontage_m2, { m2: Math.round(moved.frontage_m2) });
      await Promise.all([drawFrontages(), drawRoad(moved.segment_id)]);
    } catch (err) {
      const message = err instanceof ApiError ? err.message : String(err);
      status.textContent = fmt(cfg.strings.shop_move_failed, { error: message });
      status.className = "error-message";
      marker.setLatLng([shop.lat, shop.lon]);
    } finally {
      hook.pageReady = true;
    }
  });
  await Promise.all([drawFrontages(), drawRoad(shop.segment_id)]);
  const b = own.getBounds();
  if (b.isValid()) map.fitBounds(b.pad(1.5), { maxZoom: 19 });
  hook.pageReady = true;
}

shopPage();
