// @ts-check
// 录入检查记录 (/inspections/<id>/record, inspection_record.html): an inspection team's phone page. Pick the checklist
// item, pass or fail (a failure deducts the item's points unless told), the place by GPS or a pin on a tile-less map,
// photos and a note; each finding is posted as a form to /api/v1/inspections/<id>/findings, where a failed item opens
// a case routed to its unit. A retry carries the same client_id, so nothing is stored twice.
import { fmt } from "../strings.js";
import { ApiError, postForm } from "../api.js";
import { byId } from "../dom.js";

function newClientId() {
  return `insp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function recordPage() {
  /** @type {{lang: string, findingsUrl: string, recheck: {id: number, item: string, lon: number, lat: number} | null, strings: Record<string, string>}} */
  const cfg = JSON.parse(byId("record-config").textContent || "{}");
  const s = cfg.strings;
  const form = byId("finding", HTMLFormElement);
  const status = byId("record-status");
  const where = byId("position-status");
  const deducted = byId("deducted", HTMLInputElement);
  const photo = byId("photo", HTMLInputElement);
  const map = L.map("record-map", { attributionControl: false }).setView([37.52, 111.14], 15);
  const pin = L.marker([0, 0]);
  /** @type {[number, number] | null} */
  let here = null;
  let clientId = newClientId();

  /** @param {number} lon @param {number} lat @param {string} said */
  const place = (lon, lat, said) => {
    here = [lon, lat];
    pin.setLatLng([lat, lon]).addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
    where.textContent = said;
  };
  map.on("click", (e) => place(e.latlng.lng, e.latlng.lat, s.insp_pinned));
  byId("locate").addEventListener("click", () => {
    if (!navigator.geolocation) {
      where.textContent = s.insp_no_gps;
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => place(pos.coords.longitude, pos.coords.latitude, fmt(s.insp_gps_at, { m: Math.round(pos.coords.accuracy) })),
      () => (where.textContent = s.insp_no_gps),
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });

  /** @param {string} name */
  const chosen = (name) => /** @type {HTMLInputElement | null} */ (form.querySelector(`input[name="${name}"]:checked`));
  form.addEventListener("change", (e) => {
    const target = /** @type {HTMLInputElement} */ (e.target);
    if (target.name === "passed" || target.name === "item") {
      const item = chosen("item");
      const failed = chosen("passed")?.value === "false";
      deducted.value = failed && item ? String(item.dataset.points ?? "") : "";
      deducted.disabled = !failed;
    }
    if (target === photo) byId("photo-name").textContent = Array.from(photo.files ?? []).map((f) => f.name).join("、");
  });
  deducted.disabled = true;
  if (cfg.recheck) {
    const item = /** @type {HTMLInputElement | null} */ (form.querySelector(`input[name="item"][value="${cfg.recheck.item}"]`));
    if (item) item.checked = true;
    place(cfg.recheck.lon, cfg.recheck.lat, s.insp_pinned);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.textContent = "";
    const item = chosen("item");
    const passed = chosen("passed");
    if (!item) return void (status.textContent = s.insp_pick_item);
    if (!passed) return void (status.textContent = s.insp_pick_result);
    const data = new FormData();
    data.append("item", item.value);
    data.append("passed", passed.value);
    if (here) {
      data.append("lon", String(here[0]));
      data.append("lat", String(here[1]));
    }
    if (passed.value === "false" && deducted.value) data.append("points_deducted", deducted.value);
    const note = byId("note", HTMLTextAreaElement).value.trim();
    if (note) data.append("note", note);
    if (cfg.recheck) data.append("recheck_of", String(cfg.recheck.id));
    data.append("client_id", clientId);
    for (const f of Array.from(photo.files ?? []).slice(0, 3)) data.append("photos", f, f.name);
    const button = byId("send", HTMLButtonElement);
    button.disabled = true;
    try {
      const body = await postForm(cfg.findingsUrl, data);
      const last = body.findings[body.findings.length - 1];
      status.className = "done-message";
      status.textContent = last.case_id
        ? fmt(s.insp_sent_case, { id: last.case_id, unit: last.unit_name || s.insp_unknown_unit })
        : s.insp_sent;
      const li = document.createElement("li");
      li.textContent = `${last.item_code} ${last.item_name} · ${last.passed ? s.insp_pass : s.insp_fail}` + (last.case_id ? ` · ${last.case_id}` : "");
      byId("found-list").prepend(li);
      byId("found-count").textContent = String(body.findings.length);
      form.reset();
      deducted.disabled = true;
      byId("photo-name").textContent = "";
      cfg.recheck = null;
      clientId = newClientId();
    } catch (err) {
      status.className = "error-message";
      status.textContent = err instanceof ApiError ? [err.message, ...err.details].join("\n") : String(err);
    } finally {
      button.disabled = false;
    }
  });
}

recordPage();
