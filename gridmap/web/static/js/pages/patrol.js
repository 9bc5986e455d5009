// @ts-check
// 巡查 (/patrol, patrol.html): a road chief's or grid worker's phone page. 开始巡查 starts recording positions
// (watchPosition, high accuracy) while the page is open, drawing the track; 结束巡查 stops and sends the track as a
// GeoJSON LineString with each fix's time and accuracy to POST /api/v1/patrols, then lists the segments it
// patrolled. The recording is kept in sessionStorage, so a reload or a failed upload loses nothing (重新上传).
import { fmt } from "../strings.js";
import { ApiError, request } from "../api.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const KEY = "gridmap.patrol.fixes";

/** @typedef {{lon: number, lat: number, t: number, acc: number}} Fix */

/** @param {Fix} a @param {Fix} b */
function metres(a, b) {
  const r = 6371000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  return r * Math.hypot(dLat, dLon);
}

export function patrolPage() {
  /** @type {{strings: Record<string, string>}} */
  const cfg = JSON.parse($("patrol-config").textContent || "{}");
  const s = cfg.strings;
  const toggle = /** @type {HTMLButtonElement} */ ($("patrol-toggle"));
  const status = $("patrol-status");
  const result = $("patrol-result");
  const list = $("patrol-segments");
  const map = L.map("patrol-map", { attributionControl: false }).setView([37.52, 111.14], 16);
  const line = L.polyline([], { color: "#1f6feb", weight: 5 }).addTo(map);
  /** @type {Fix[]} */
  let fixes = JSON.parse(sessionStorage.getItem(KEY) || "[]");
  /** @type {number | null} */
  let watch = null;
  /** @type {{release: () => Promise<void>} | null} */
  let wakeLock = null;

  const length = () => fixes.reduce((sum, f, i) => (i ? sum + metres(fixes[i - 1], f) : 0), 0);
  const show = () => {
    line.setLatLngs(fixes.map((f) => L.latLng(f.lat, f.lon)));
    if (fixes.length) map.setView([fixes[fixes.length - 1].lat, fixes[fixes.length - 1].lon]);
    status.textContent = fmt(s.patrol_recording, { n: fixes.length, m: Math.round(length()) });
  };

  const start = async () => {
    if (!navigator.geolocation) {
      status.textContent = s.patrol_no_gps;
      return;
    }
    fixes = [];
    sessionStorage.setItem(KEY, "[]");
    list.replaceChildren();
    result.textContent = "";
    watch = navigator.geolocation.watchPosition(
      (pos) => {
        fixes.push({
          lon: pos.coords.longitude,
          lat: pos.coords.latitude,
          t: pos.timestamp || Date.now(),
          acc: pos.coords.accuracy,
        });
        sessionStorage.setItem(KEY, JSON.stringify(fixes));
        show();
      },
      () => {
        status.textContent = s.patrol_no_gps;
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
    );
    toggle.textContent = s.patrol_stop;
    toggle.dataset.state = "recording";
    show();
    try {
      // keep the screen on while patrolling: the page records only while it is open
      const nav = /** @type {any} */ (navigator);
      wakeLock = nav.wakeLock ? await nav.wakeLock.request("screen") : null;
    } catch {
      wakeLock = null;
    }
  };

  const send = async () => {
    if (fixes.length < 2) {
      result.textContent = s.patrol_too_few;
      toggle.textContent = s.patrol_start;
      toggle.dataset.state = "idle";
      return;
    }
    result.textContent = s.patrol_sending;
    toggle.disabled = true;
    const track = {
      type: "Feature",
      geometry: { type: "LineString", coordinates: fixes.map((f) => [f.lon, f.lat]) },
      properties: { times: fixes.map((f) => new Date(f.t).toISOString()), accuracy: fixes.map((f) => f.acc) },
    };
    try {
      const answer = await request("/api/v1/patrols", { body: { source: "phone", crs: "wgs84", track } });
      sessionStorage.removeItem(KEY);
      result.textContent = fmt(s.patrol_sent, { kept: answer.kept, n: answer.segments_patrolled.length });
      list.replaceChildren(
        ...answer.segments_patrolled.map((/** @type {{name: string | null, segment_id: number, covered_share: number}} */ g) => {
          const li = document.createElement("li");
          li.textContent = `${g.name || g.segment_id} · ${Math.round(100 * g.covered_share)}%`;
          return li;
        }),
      );
      toggle.textContent = s.patrol_start;
      toggle.dataset.state = "idle";
    } catch (err) {
      const msg = err instanceof ApiError ? [err.message, ...err.details].join(" ") : String(err);
      result.textContent = fmt(s.patrol_failed, { error: msg });
      toggle.textContent = s.patrol_retry;
      toggle.dataset.state = "unsent";
    } finally {
      toggle.disabled = false;
    }
  };

  const stop = async () => {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    await wakeLock?.release().catch(() => undefined);
    wakeLock = null;
    await send();
  };

  toggle.addEventListener("click", () => {
    const state = toggle.dataset.state || "idle";
    if (state === "recording") void stop();
    else if (state === "unsent") void send();
    else void start();
  });
  if (fixes.length >= 2) {
    // a recording the last visit did not send
    toggle.textContent = s.patrol_retry;
    toggle.dataset.state = "unsent";
    show();
  }
}

patrolPage();
