// @ts-check
// The case page (/cases/<id>): a small map without tiles (the matched feature outlined over its 社区/街道, the case a
// dot), and the steps open to this person as buttons — each opens its form (note, photos, unit, extension) and sends
// it as a multipart form to /api/v1/cases/<id>/events with the version the page was drawn at. A step someone else
// took first (409) says so and reloads; other refusals are said in the page's language.
import { ApiError } from "../api.js";
import { wordsOf } from "../casefmt.js";
import { byId, message } from "../dom.js";
import { hook } from "../hook.js";

const root = byId("case-page");
const t = wordsOf(root);
const caseId = root.dataset.caseId;
const version = root.dataset.version ?? "";
const status = byId("action-status");
const RELOAD_MS = 1500;
const MAX_PHOTOS = 3;

/** The case on a small map: outlines only (no tile server); the matched feature thick, its areas thin and dashed. */
function drawMap() {
  const el = byId("case-map");
  const lat = Number(root.dataset.lat);
  const lon = Number(root.dataset.lon);
  const map = L.map(el, { zoomControl: true, attributionControl: false }).setView([lat, lon], 16);
  L.control.scale({ imperial: false }).addTo(map);
  /** @type {GeoJSON.Feature[]} */
  const shapes = JSON.parse(root.dataset.shapes || "[]");
  const context = L.geoJSON(
    /** @type {any} */ ({ type: "FeatureCollection", features: shapes.filter((f) => f.properties?.role !== "matched") }),
    { style: { color: "#5a6472", weight: 1.5, dashArray: "4 4", fill: false }, interactive: false },
  ).addTo(map);
  const matched = L.geoJSON(
    /** @type {any} */ ({ type: "FeatureCollection", features: shapes.filter((f) => f.properties?.role === "matched") }),
    { style: { color: "#d0021b", weight: 6, opacity: 0.85, fillOpacity: 0.15 } },
  ).addTo(map);
  matched.eachLayer((layer) => {
    const f = /** @type {any} */ (layer).feature;
    if (f?.properties?.name) layer.bindTooltip(String(f.properties.name), { permanent: false });
  });
  const dot = L.circleMarker([lat, lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#1f5fbf", fillOpacity: 1 });
  dot.addTo(map);
  const bounds = L.latLngBounds([[lat, lon], [lat, lon]]);
  if (matched.getLayers().length) bounds.extend(matched.getBounds());
  else if (context.getLayers().length) bounds.extend(context.getBounds());
  map.fitBounds(bounds.pad(0.3), { maxZoom: 17 });
  hook.map = map;
  hook.layers = { matched, context };
}

/** @type {Record<string, string>} */
const FIELD_WORDS = { note: "note", photos: "photo_input", unit_id: "unit_picker", amount: "extension_hours" };

/**
 * What to say of a refused step, in the page's language (the server's own sentence is not shown: it is English).
 * @param {number} code
 * @param {string[]} details
 */
function refusal(code, details) {
  if (code === 403) return t("err_forbidden");
  if (code === 404) return t("case_not_found", { n: caseId ?? "" });
  if (code === 413) return t("err_too_big");
  if (code === 400) {
    const fields = Object.keys(FIELD_WORDS).filter((f) => details.some((d) => d.includes(`'${f}'`) || d.includes(`${f}:`)));
    const named = fields.map((f) => t(FIELD_WORDS[f], { u: "" }).replace(/[（(].*$/, "")).join("、");
    return named ? t("err_fields", { f: named }) : t("err_input");
  }
  return t("err_failed", { n: code });
}

/**
 * Sends one step; the page reloads to show the case as it is now.
 * @param {HTMLFormElement} form
 */
async function send(form) {
  const action = form.dataset.action ?? "";
  const body = new FormData(form);
  body.set("action", action);
  body.set("version", version);
  const files = body.getAll("photos").filter((f) => f instanceof File && f.size > 0);
  body.delete("photos");
  for (const f of files) body.append("photos", f);
  for (const [k, v] of Array.from(body.entries())) if (v === "") body.delete(k);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
  message(status, t("sending"));
  for (const b of form.querySelectorAll("button")) b.disabled = true;
  hook.busy++;
  try {
    const r = await fetch(`/api/v1/cases/${caseId}/events`, {
      method: "POST", body, headers: { Accept: "application/json", "X-CSRFToken": csrf },
    });
    if (r.ok) {
      message(status, t("done", { a: form.querySelector("strong")?.textContent ?? action }), "ok");
      setTimeout(() => location.reload(), 300);
      return;
    }
    const err = await r.json().catch(() => ({}));
    throw new ApiError(err.error || `HTTP ${r.status}`, r.status, Array.isArray(err.details) ? err.details : []);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      message(status, t("stale"), "error conflict");
      setTimeout(() => location.reload(), RELOAD_MS);
      return;
    }
    const code = err instanceof ApiError ? err.status : 0;
    message(status, refusal(code, err instanceof ApiError ? err.details : []), "error");
    for (const b of form.querySelectorAll("button")) b.disabled = false;
  } finally {
    hook.busy--;
  }
}

function wireSteps() {
  const forms = /** @type {HTMLFormElement[]} */ (Array.from(document.querySelectorAll("form.action-form")));
  const buttons = /** @type {HTMLButtonElement[]} */ (Array.from(document.querySelectorAll("button.step")));
  for (const button of buttons) {
    button.addEventListener("click", () => {
      for (const f of forms) f.hidden = f.dataset.action !== button.dataset.step;
      for (const b of buttons) b.setAttribute("aria-expanded", String(b === button));
      forms.find((f) => !f.hidden)?.querySelector("textarea, select, input")?.scrollIntoView({ block: "nearest" });
    });
  }
  for (const form of forms) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void send(form);
    });
    const files = form.querySelector("input[type=file]");
    if (files instanceof HTMLInputElement) {
      files.addEventListener("change", () => {
        const n = files.files?.length ?? 0;
        const picked = form.querySelector(".picked");
        if (picked) picked.textContent = n ? t("photos_chosen", { n }) : "";
        files.setCustomValidity(n > MAX_PHOTOS ? t("too_many_photos") : "");
      });
    }
    form.querySelector(".cancel")?.addEventListener("click", () => {
      form.hidden = true;
      for (const b of buttons) b.setAttribute("aria-expanded", "false");
    });
  }
}

try {
  drawMap();
} finally {
  wireSteps();
  hook.pageReady = true;
}
