// @ts-check
/* global exifr */
// The public's 随手拍 page (/report, report.html): locate by GPS (accuracy shown) or a pin dragged on a tile-less map
// of 社区 outlines and road names; up to 3 photos, their EXIF time and position read (exifr) before they are resized
// on the phone (canvas, ≤ 1600 px); a category from a searchable tree; sent through the phone's queue
// (report_queue.js), so a report made offline arrives once when the network returns.
import { fmt } from "../strings.js";
import { enqueue, send, startRetrying, waiting } from "../report_queue.js";

const MAX_SIDE = 1600;

/**
 * @typedef {{code: string, parent: string | null, family: string, zh: string, en: string | null}} Cat
 * @typedef {{lang: string, maxPhotos: number, categories: Cat[], placesUrl: string, sendUrl: string,
 *   trackUrl: string, swUrl: string, strings: Record<string, string>}} ReportConfig
 * @typedef {{name: string, blob: Blob, takenAt: string | null, lon: number | null, lat: number | null}} Photo
 */

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @returns {ReportConfig} */
function readConfig() {
  return JSON.parse($("report-config").textContent || "{}");
}

/**
 * A photo's EXIF time and position (before resizing drops them), then the photo at most MAX_SIDE px as JPEG.
 * @param {File} file
 * @returns {Promise<Photo>}
 */
async function preparePhoto(file) {
  /** @type {Record<string, unknown> | undefined} */
  let tags;
  try {
    tags = await exifr.parse(file, { tiff: true, exif: true, gps: true });
  } catch {
    tags = undefined;
  }
  const taken = tags?.DateTimeOriginal ?? tags?.CreateDate;
  const photo = /** @type {Photo} */ ({
    name: file.name || "photo.jpg",
    blob: file,
    takenAt: taken instanceof Date && !isNaN(taken.getTime()) ? taken.toISOString() : null,
    lon: typeof tags?.longitude === "number" ? tags.longitude : null,
    lat: typeof tags?.latitude === "number" ? tags.latitude : null,
  });
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const ctx = canvas.getContext("2d");
    if (ctx) {
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (blob) {
        photo.blob = /** @type {Blob} */ (blob);
        photo.name = photo.name.replace(/\.\w+$/, "") + ".jpg";
      }
    }
    bitmap.close();
  } catch {
    // not decodable here: sent as it is (the server judges it by its bytes)
  }
  return photo;
}

/**
 * The category tree: families → classes → subclasses, filtered by the search box (name or code).
 * @param {ReportConfig} cfg
 * @param {(cat: Cat) => void} onPick
 */
function categoryTree(cfg, onPick) {
  const tree = $("category-tree");
  const search = /** @type {HTMLInputElement} */ ($("category-search"));
  const label = (/** @type {Cat} */ c) => (cfg.lang === "zh_CN" ? c.zh : c.en || c.zh);
  const classes = cfg.categories.filter((c) => !c.parent);
  const render = () => {
    const q = search.value.trim().toLowerCase();
    tree.replaceChildren();
    for (const family of ["event", "component", "inspection"]) {
      const groups = [];
      for (const cls of classes.filter((c) => c.family === family)) {
        const subs = cfg.categories.filter(
          (c) => c.parent === cls.code && (!q || `${label(c)} ${c.code} ${label(cls)}`.toLowerCase().includes(q)),
        );
        if (subs.length) groups.push({ cls, subs });
      }
      if (!groups.length) continue;
      const details = document.createElement("details");
      details.open = !!q || family === "event";
      details.className = "family";
      const summary = document.createElement("summary");
      summary.textContent = cfg.strings[family] || family;
      details.append(summary);
      for (const { cls, subs } of groups) {
        const h = document.createElement("p");
        h.className = "cat-class";
        h.textContent = label(cls);
        const list = document.createElement("div");
        list.className = "cat-list";
        for (const sub of subs) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "cat";
          b.dataset.code = sub.code;
          b.textContent = label(sub);
          b.addEventListener("click", () => onPick(sub));
          list.append(b);
        }
        details.append(h, list);
      }
      tree.append(details);
    }
  };
  search.addEventListener("input", render);
  render();
}

/** @param {ReportConfig} cfg */
function setUpMap(cfg) {
  const map = L.map("report-map", { zoomControl: true, attributionControl: false }).setView([37.52, 111.14], 14);
  const marker = L.marker([37.52, 111.14], { draggable: true });
  const places = L.geoJSON(undefined, {
    style: (f) =>
      f?.properties.kind === "community"
        ? { color: "#1f6feb", weight: 1, fillOpacity: 0.04 }
        : { color: "#555", weight: 3, opacity: 0.8 },
    onEachFeature: (f, layer) => {
      if (f.properties.name) layer.bindTooltip(f.properties.name, { sticky: true });
    },
  }).addTo(map);
  // road names written on the map when close enough to read them (a phone has no hover): one label per name in view
  const labels = L.layerGroup().addTo(map);
  const nameRoads = () => {
    labels.clearLayers();
    if (map.getZoom() < 16) return;
    const view = map.getBounds();
    const seen = new Set();
    places.eachLayer((layer) => {
      const f = /** @type {any} */ (layer).feature;
      if (f?.properties.kind !== "road" || !f.properties.name || seen.has(f.properties.name)) return;
      const line = /** @type {L.Polyline} */ (layer);
      const bounds = line.getBounds();
      if (!view.contains(bounds.getCenter()) || seen.size >= 40) return;
      seen.add(f.properties.name);
      labels.addLayer(
        L.tooltip({ permanent: true, direction: "center", className: "road-label", interactive: false })
          .setLatLng(bounds.getCenter())
          .setContent(f.properties.name),
      );
    });
  };
  map.on("moveend", nameRoads);
  fetch(cfg.placesUrl, { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((geo) => {
      if (!geo || !geo.features?.length) return;
      places.addData(geo);
      nameRoads();
      if (!marker.getLatLng() || !($("lon").getAttribute("value"))) map.fitBounds(places.getBounds());
    })
    .catch(() => undefined);
  return { map, marker };
}

function newId() {
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function reportPage(cfg = readConfig()) {
  const s = cfg.strings;
  const form = /** @type {HTMLFormElement} */ ($("report-form"));
  const lon = /** @type {HTMLInputElement} */ ($("lon"));
  const lat = /** @type {HTMLInputElement} */ ($("lat"));
  const accuracy = /** @type {HTMLInputElement} */ ($("accuracy"));
  const status = $("position-status");
  const error = $("report-error");
  const queueStatus = $("queue-status");
  /** @type {Photo[]} */
  let photos = [];

  const { map, marker } = setUpMap(cfg);
  /** @param {number} x @param {number} y @param {number | null} acc */
  const place = (x, y, acc) => {
    lon.value = x.toFixed(7);
    lat.value = y.toFixed(7);
    accuracy.value = acc == null ? "" : String(Math.round(acc));
    marker.setLatLng([y, x]).addTo(map);
    map.setView([y, x], Math.max(map.getZoom(), 17));
  };
  marker.on("dragend", () => {
    const p = marker.getLatLng();
    lon.value = p.lng.toFixed(7);
    lat.value = p.lat.toFixed(7);
    accuracy.value = "";
    status.textContent = s.pinMoved;
  });
  map.on("click", (e) => {
    place(e.latlng.lng, e.latlng.lat, null);
    status.textContent = s.pinMoved;
  });

  const locate = () => {
    if (!navigator.geolocation) {
      status.textContent = s.noGps;
      return;
    }
    status.textContent = s.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        place(pos.coords.longitude, pos.coords.latitude, pos.coords.accuracy);
        status.textContent = fmt(s.located, { m: Math.round(pos.coords.accuracy) });
      },
      () => {
        status.textContent = s.noGps;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  };
  $("locate").addEventListener("click", locate);
  locate();

  const photoInput = /** @type {HTMLInputElement} */ ($("photos"));
  const list = $("photo-list");
  const showPhotos = () => {
    list.replaceChildren(
      ...photos.map((p, i) => {
        const li = document.createElement("li");
        const img = document.createElement("img");
        img.src = URL.createObjectURL(p.blob);
        img.alt = p.name;
        const del = document.createElement("button");
        del.type = "button";
        del.textContent = "×";
        del.setAttribute("aria-label", p.name);
        del.addEventListener("click", () => {
          photos.splice(i, 1);
          showPhotos();
        });
        li.append(img, del);
        return li;
      }),
    );
  };
  photoInput.addEventListener("change", async () => {
    const files = Array.from(photoInput.files || []);
    error.textContent = "";
    if (photos.length + files.length > cfg.maxPhotos) error.textContent = s.tooManyPhotos;
    const room = files.slice(0, Math.max(0, cfg.maxPhotos - photos.length));
    photos = photos.concat(await Promise.all(room.map(preparePhoto)));
    photoInput.value = "";
    showPhotos();
  });

  const category = /** @type {HTMLInputElement} */ ($("category"));
  categoryTree(cfg, (cat) => {
    category.value = cat.code;
    $("category-chosen").textContent = cfg.lang === "zh_CN" ? cat.zh : cat.en || cat.zh;
    for (const b of document.querySelectorAll("#category-tree .cat")) {
      b.classList.toggle("chosen", /** @type {HTMLElement} */ (b).dataset.code === cat.code);
    }
  });

  const showQueue = async () => {
    const n = (await waiting()).length;
    queueStatus.hidden = n === 0;
    queueStatus.textContent = n ? fmt(s.queueCount, { n }) : "";
  };
  /** @param {string} receipt @param {string} trackUrl */
  const done = (receipt, trackUrl) => {
    form.hidden = true;
    $("report-done").hidden = false;
    $("report-message").textContent = fmt(s.received, { code: receipt });
    /** @type {HTMLAnchorElement} */ ($("track-link")).href = trackUrl;
  };
  const reset = () => {
    form.reset();
    photos = [];
    showPhotos();
    category.value = "";
    $("category-chosen").textContent = "";
    $("category-search").dispatchEvent(new Event("input")); // the whole tree again, nothing chosen
    form.hidden = false;
    $("report-done").hidden = true;
    error.textContent = "";
    const send = /** @type {HTMLButtonElement} */ ($("send"));
    send.disabled = false;
    send.textContent = s.send;
  };
  $("report-again").addEventListener("click", () => {
    reset();
    locate();
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    if (!lon.value || !lat.value) {
      error.textContent = s.needPosition;
      return;
    }
    if (!category.value) {
      error.textContent = s.pick;
      return;
    }
    const button = /** @type {HTMLButtonElement} */ ($("send"));
    button.disabled = true;
    button.textContent = s.sending;
    const fields = {
      lon: lon.value,
      lat: lat.value,
      crs: "wgs84",
      accuracy: accuracy.value,
      category: category.value,
      description: /** @type {HTMLTextAreaElement} */ ($("description")).value,
      observed_at: new Date().toISOString(),
      photo_meta: JSON.stringify(photos.map((p) => ({ taken_at: p.takenAt, lon: p.lon, lat: p.lat }))),
    };
    const item = { id: newId(), fields, photos: photos.map((p) => ({ name: p.name, blob: p.blob })), notBefore: 0 };
    await enqueue(item); // on the phone first: nothing is lost if the answer never comes
    const outcome = await send(cfg.sendUrl, item);
    if (outcome.kind === "sent") {
      done(outcome.receipt, outcome.trackUrl);
    } else if (outcome.kind === "refused") {
      error.textContent = outcome.message;
      button.disabled = false;
      button.textContent = s.send;
    } else {
      reset();
      queueStatus.hidden = false;
      error.textContent =
        outcome.reason === "limited" ? fmt(s.tooMany, { seconds: outcome.retryAfter ?? 30 }) : s.queued;
      $("report-error").classList.add("queued");
    }
    await showQueue();
  });

  /** A queued report was sent: its receipt code, and the link to follow it (as a report sent at once has).
   * @param {{receipt: string, trackUrl: string}} sent */
  const showSent = (sent) => {
    const link = document.createElement("a");
    link.id = "queue-track-link";
    link.href = sent.trackUrl;
    link.textContent = s.trackLink;
    queueStatus.hidden = false;
    queueStatus.replaceChildren(fmt(s.queueSent, { code: sent.receipt }), " ", link);
    queueStatus.dataset.receipt = sent.receipt;
  };
  startRetrying(cfg.sendUrl, (_item, outcome) => {
    if (outcome.kind === "sent") {
      showSent(outcome);
      error.textContent = "";
    }
    void showQueue().then(() => {
      if (outcome.kind === "sent") showSent(outcome);
    });
  });
  void showQueue();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: "/report" }).catch(() => undefined);
  }
}

reportPage();
