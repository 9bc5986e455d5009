// @ts-check
/* global exifr */
// 我的网格 (/mygrid, mygrid.html): a grid worker's or inspector's phone page — the features they look after and the
// open cases there on a tile-less map centred on their position, their re-checks (pass / fail with a note and a
// photo, through /api/v1/cases/<id>/events) and a quick report prefilled with their position and grid
// (/api/v1/reports, with each photo's EXIF time and position as photo_meta).
import { fmt } from "../strings.js";
import { postForm, request } from "../api.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {HTMLElement} parent @param {string} tag @param {string} [text] @param {string} [cls] */
function add(parent, tag, text, cls) {
  const el = document.createElement(tag);
  if (text != null) el.textContent = text;
  if (cls) el.className = cls;
  parent.append(el);
  return el;
}

/** @param {File} file */
async function photoMeta(file) {
  try {
    const t = await exifr.parse(file, { tiff: true, exif: true, gps: true });
    const taken = t?.DateTimeOriginal;
    return {
      taken_at: taken instanceof Date && !isNaN(taken.getTime()) ? taken.toISOString() : null,
      lon: typeof t?.longitude === "number" ? t.longitude : null,
      lat: typeof t?.latitude === "number" ? t.latitude : null,
    };
  } catch {
    return { taken_at: null, lon: null, lat: null };
  }
}

export function mygridPage() {
  /** @type {{lang: string, source: string, dataUrl: string, strings: Record<string, string>}} */
  const cfg = JSON.parse($("mygrid-config").textContent || "{}");
  const s = cfg.strings;
  const map = L.map("mygrid-map", { attributionControl: false }).setView([37.52, 111.14], 15);
  const mine = L.geoJSON(undefined, {
    style: (f) =>
      f?.properties.kind === "grid"
        ? { color: "#1f6feb", weight: 2, fillOpacity: 0.06 }
        : f?.properties.kind === "compound"
          ? { color: "#8e24aa", weight: 2, fillOpacity: 0.1 }
          : { color: "#ef6c00", weight: 4 },
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name || f.properties.code || "", { sticky: true }),
  }).addTo(map);
  const caseLayer = L.layerGroup().addTo(map);
  const me = L.circleMarker([0, 0], { radius: 8, color: "#fff", weight: 2, fillColor: "#1f6feb", fillOpacity: 1 });
  /** @type {[number, number] | null} */
  let here = null;

  const locate = () => {
    navigator.geolocation?.getCurrentPosition(
      (pos) => {
        here = [pos.coords.longitude, pos.coords.latitude];
        me.setLatLng([here[1], here[0]]).addTo(map);
        map.setView([here[1], here[0]], 16);
        $("position-status").textContent = fmt(s.mygrid_located, { m: Math.round(pos.coords.accuracy) });
        void load();
      },
      () => {
        $("position-status").textContent = s.mygrid_no_gps;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  };
  map.on("click", (e) => {
    here = [e.latlng.lng, e.latlng.lat];
    me.setLatLng(e.latlng).addTo(map);
  });
  $("locate").addEventListener("click", locate);

  /** @param {any} c */
  const caseLine = (c) =>
    `#${c.id} ${c.category_name || c.category} · ${c.status_zh}` +
    (c.deadline ? ` · ${s.mygrid_deadline} ${String(c.deadline).slice(0, 16).replace("T", " ")}` : "");

  /** @param {any} c @param {HTMLElement} li */
  const recheckCard = (c, li) => {
    const title = add(li, "a", caseLine(c));
    /** @type {HTMLAnchorElement} */ (title).href = `/cases/${c.id}`;
    const note = /** @type {HTMLTextAreaElement} */ (add(li, "textarea"));
    note.placeholder = s.mygrid_note;
    note.setAttribute("aria-label", s.mygrid_note);
    const pick = /** @type {HTMLLabelElement} */ (add(li, "label", s.mygrid_photo, "photo-pick big"));
    const photo = /** @type {HTMLInputElement} */ (add(pick, "input", undefined, "visually-hidden"));
    photo.type = "file";
    photo.accept = "image/*";
    const picked = add(li, "span", "", "muted");
    photo.addEventListener("change", () => {
      picked.textContent = Array.from(photo.files || [], (f) => f.name).join("，");
    });
    const actions = add(li, "div", undefined, "actions");
    const msg = add(li, "p", "", "msg");
    for (const [action, label, cls] of [
      ["recheck_pass", s.mygrid_pass, "primary"],
      ["recheck_fail", s.mygrid_fail, "danger"],
    ]) {
      const b = /** @type {HTMLButtonElement} */ (add(actions, "button", label, cls));
      b.type = "button";
      b.dataset.action = action;
      b.addEventListener("click", async () => {
        if (action === "recheck_fail" && !note.value.trim()) {
          msg.textContent = s.mygrid_fail_needs_note;
          return;
        }
        const form = new FormData();
        form.append("action", action);
        form.append("version", String(c.version));
        if (note.value.trim()) form.append("note", note.value.trim());
        for (const f of Array.from(photo.files || [])) form.append("photos", f, f.name);
        try {
          await postForm(`/api/v1/cases/${c.id}/events`, form);
          li.classList.add("done");
          actions.remove();
          msg.textContent = fmt(s.mygrid_done, { result: label });
        } catch (err) {
          msg.textContent = fmt(s.mygrid_failed, { message: err instanceof Error ? err.message : String(err) });
        }
      });
    }
  };

  const load = async () => {
    const data = await request(here ? `${cfg.dataUrl}?lon=${here[0]}&lat=${here[1]}` : cfg.dataUrl);
    $("mygrid-basis").textContent = s[`mygrid_basis_${data.basis}`] || "";
    mine.clearLayers();
    mine.addData(data.features);
    if (!here && data.features.features.length) map.fitBounds(mine.getBounds());
    caseLayer.clearLayers();
    const list = $("case-list");
    list.replaceChildren();
    for (const c of data.cases) {
      const light = c.progress?.light || "green";
      L.circleMarker([c.lat, c.lon], { radius: 7, color: light === "red" ? "#c62828" : "#333", fillOpacity: 0.8 })
        .bindPopup(`<a href="/cases/${c.id}">#${c.id}</a>`)
        .addTo(caseLayer);
      const li = add(list, "li");
      add(li, "span", "", `light light-${light}`);
      const a = /** @type {HTMLAnchorElement} */ (add(li, "a", caseLine(c)));
      a.href = `/cases/${c.id}`;
    }
    if (!data.cases.length) add(list, "li", s.mygrid_no_cases, "muted");
    $("case-count").textContent = String(data.cases.length);
    const tasks = $("recheck-list");
    tasks.replaceChildren();
    for (const c of data.recheck.items) recheckCard(c, add(tasks, "li", undefined, "task"));
    if (!data.recheck.items.length) add(tasks, "li", s.mygrid_no_tasks, "muted");
    $("recheck-count").textContent = String(data.recheck.count);
    const grids = /** @type {HTMLSelectElement} */ ($("q-grid"));
    grids.replaceChildren(...data.grids.map((/** @type {any} */ g) => new Option(g.code || g.name, g.code || g.name)));
    if (data.grid_here) grids.value = data.grid_here; // the grid I stand in
  };

  const quickPhoto = /** @type {HTMLInputElement} */ ($("q-photo"));
  quickPhoto.addEventListener("change", () => {
    $("q-photo-name").textContent = Array.from(quickPhoto.files || [], (f) => f.name).join("，");
  });

  $("quick-report").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = $("quick-status");
    const category = /** @type {HTMLSelectElement} */ ($("q-category")).value;
    if (!here) {
      status.textContent = s.mygrid_need_position;
      return;
    }
    if (!category) {
      status.textContent = s.mygrid_need_category;
      return;
    }
    const form = new FormData();
    form.append("lon", here[0].toFixed(7));
    form.append("lat", here[1].toFixed(7));
    form.append("category", category);
    form.append("source", cfg.source);
    form.append("client_id", crypto.randomUUID());
    const grid = /** @type {HTMLSelectElement} */ ($("q-grid")).value;
    if (grid) form.append("address", grid);
    const text = /** @type {HTMLTextAreaElement} */ ($("q-description")).value.trim();
    if (text) form.append("description", text);
    const files = Array.from(/** @type {HTMLInputElement} */ ($("q-photo")).files || []);
    form.append("photo_meta", JSON.stringify(await Promise.all(files.map(photoMeta))));
    for (const f of files) form.append("photos", f, f.name);
    try {
      const answer = await postForm("/api/v1/reports", form);
      status.textContent = fmt(s.mygrid_sent, { id: answer.id });
      /** @type {HTMLFormElement} */ ($("quick-report")).reset();
      $("q-photo-name").textContent = "";
      await load();
    } catch (err) {
      status.textContent = fmt(s.mygrid_failed, { message: err instanceof Error ? err.message : String(err) });
    }
  });

  locate();
  void load();
}

mygridPage();
