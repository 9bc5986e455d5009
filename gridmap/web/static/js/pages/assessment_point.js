// @ts-check
// 逐项评分 (/assessments/<id>/points/<pid>/score, assessment_point.html): a drawn point scored on its type's checklist
// on a phone. Each item is passed or failed (a failure deducts the item's points unless told), with a note and photos,
// at the drawn point's position or the phone's GPS fix; it is posted as a form to
// /api/v1/assessments/<id>/points/<pid>/items, where a failed item opens a case routed to its unit, and the point's
// score (the checklist's total less the deductions) comes back. A retry carries the same client_id. Until the
// assessment is closed a scored item can be corrected (its form shown again, sent as PUT …/items/<id>) or deleted
// (DELETE …/items/<id>); the server voids the case a failure opened when it turns into a pass or goes, and the page
// is read again.
import { fmt } from "../strings.js";
import { ApiError, postForm, request } from "../api.js";
import { byId } from "../dom.js";

/** @param {number} n */
const num = (n) => String(Math.round(n * 100) / 100);

export function pointPage() {
  /** @type {{itemsUrl: string, point: {lon: number, lat: number}, total: number, strings: Record<string, string>}} */
  const cfg = JSON.parse(byId("sheet-config").textContent || "{}");
  const s = cfg.strings;
  /** @type {[number, number]} */
  let here = [cfg.point.lon, cfg.point.lat];
  const locate = document.getElementById("locate");
  locate?.addEventListener("click", () => {
    const where = byId("position-status");
    if (!navigator.geolocation) return void (where.textContent = s.assess_no_gps);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        here = [pos.coords.longitude, pos.coords.latitude];
        where.textContent = fmt(s.assess_gps_at, { m: Math.round(pos.coords.accuracy) });
      },
      () => (where.textContent = s.assess_no_gps),
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
  for (const form of Array.from(document.querySelectorAll("form.item-form"))) {
    const li = /** @type {HTMLElement} */ (form.closest("li.check-item"));
    const f = /** @type {HTMLFormElement} */ (form);
    const deducted = /** @type {HTMLInputElement} */ (f.elements.namedItem("points_deducted"));
    const status = /** @type {HTMLElement} */ (f.querySelector(".status"));
    const clientId = `assess-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    f.addEventListener("change", (e) => {
      const target = /** @type {HTMLInputElement} */ (e.target);
      if (target.name === "photos") {
        const names = Array.from(target.files ?? []).map((file) => file.name).join("、");
        /** @type {HTMLElement} */ (f.querySelector(".photo-name")).textContent = names;
      }
      if (target.name !== "passed") return;
      const failed = target.value === "false";
      deducted.disabled = !failed;
      deducted.value = failed ? String(li.dataset.points ?? "") : "";
    });
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      status.className = "status";
      const passed = /** @type {HTMLInputElement | null} */ (f.querySelector('input[name="passed"]:checked'));
      if (!passed) return void (status.textContent = s.assess_pick_result);
      if (f.dataset.scoreId) return void correct(f, passed.value === "true", deducted.value, status);
      const data = new FormData();
      data.append("item", String(li.dataset.code));
      data.append("passed", passed.value);
      data.append("lon", String(here[0]));
      data.append("lat", String(here[1]));
      if (passed.value === "false" && deducted.value) data.append("points_deducted", deducted.value);
      const note = /** @type {HTMLInputElement} */ (f.elements.namedItem("note")).value.trim();
      if (note) data.append("note", note);
      data.append("client_id", clientId);
      const files = /** @type {HTMLInputElement} */ (f.elements.namedItem("photos")).files;
      for (const file of Array.from(files ?? []).slice(0, 3)) data.append("photos", file, file.name);
      const button = /** @type {HTMLButtonElement} */ (f.querySelector("button[type=submit]"));
      button.disabled = true;
      try {
        const sheet = await postForm(cfg.itemsUrl, data);
        const mine = sheet.items.find((/** @type {{item_code: string}} */ i) => i.item_code === li.dataset.code);
        const result = /** @type {HTMLElement} */ (li.querySelector('[data-role="result"]'));
        result.textContent = mine.passed
          ? s.assess_item_passed
          : fmt(s.assess_item_failed, { d: num(mine.points_deducted) }) +
            (mine.case_id ? ` · ${fmt(s.assess_item_case, { id: mine.case_id, unit: mine.unit_name || s.assess_unknown_unit })}` : "");
        li.classList.add("done");
        f.remove();
        const p = sheet.point;
        byId("point-score").textContent = fmt(s.assess_point_score, {
          s: num(p.score), t: num(p.possible), k: sheet.items.length, n: cfg.total,
        });
      } catch (err) {
        status.className = "status error-message";
        status.textContent = err instanceof ApiError ? [err.message, ...err.details].join("\n") : String(err);
        button.disabled = false;
      }
    });
  }
}

/**
 * Send a scored item's correction, then read the page again (the item's line, its case and the point's score).
 * @param {HTMLFormElement} f
 * @param {boolean} passed
 * @param {string} deducted
 * @param {HTMLElement} status
 */
async function correct(f, passed, deducted, status) {
  /** @type {{itemsUrl: string}} */
  const cfg = JSON.parse(byId("sheet-config").textContent || "{}");
  /** @type {Record<string, unknown>} */
  const body = { passed };
  if (!passed && deducted) body.points_deducted = Number(deducted);
  const note = /** @type {HTMLInputElement} */ (f.elements.namedItem("note")).value.trim();
  if (note) body.note = note;
  try {
    await request(`${cfg.itemsUrl}/${f.dataset.scoreId}`, { method: "PUT", body });
    window.location.reload();
  } catch (err) {
    status.className = "status error-message";
    status.textContent = err instanceof ApiError ? [err.message, ...err.details].join("\n") : String(err);
  }
}

/** The 更正 and 删除 buttons of the items scored already. */
function scoredItems() {
  /** @type {{itemsUrl: string, strings: Record<string, string>}} */
  const cfg = JSON.parse(byId("sheet-config").textContent || "{}");
  for (const actions of Array.from(document.querySelectorAll(".item-actions"))) {
    const li = /** @type {HTMLElement} */ (actions.closest("li.check-item"));
    const status = /** @type {HTMLElement} */ (actions.querySelector(".status"));
    actions.querySelector('[data-role="correct"]')?.addEventListener("click", () => {
      const form = /** @type {HTMLFormElement | null} */ (li.querySelector("form.item-form"));
      if (form) form.hidden = false;
      /** @type {HTMLElement} */ (actions).hidden = true;
    });
    const del = /** @type {HTMLElement} */ (actions.querySelector('[data-role="delete"]'));
    del.addEventListener("click", async () => {
      if (!window.confirm(cfg.strings.assess_confirm_delete)) return;
      try {
        await request(`${cfg.itemsUrl}/${del.dataset.scoreId}`, { method: "DELETE" });
        window.location.reload();
      } catch (err) {
        status.className = "status error-message";
        status.textContent = err instanceof ApiError ? [err.message, ...err.details].join("\n") : String(err);
      }
    });
  }
}

pointPage();
scoredItems();
