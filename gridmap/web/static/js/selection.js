// @ts-check
// The assign page's panel of what is selected: per kind how many are caught (free/held), the units holding some of
// them, and a table of the features with their holder (and a button ending that assignment), plus, for one clicked
// feature, its history in the role.
import { unitColor } from "./colors.js";
import { byId, query } from "./dom.js";
import { esc } from "./strings.js";

/**
 * A feature's open assignment in the role (gridmap.responsibility.assign._current).
 * @typedef {object} Holder
 * @property {number} assignment_id   what POST /assignments wants back as `expected`
 * @property {number | null} unit_id
 * @property {string | null} unit_name
 * @property {string | null} [person_name]
 * @property {string} valid_from
 */
/**
 * A selected feature.
 * @typedef {object} Selected
 * @property {string} kind
 * @property {number} id
 * @property {string} name
 * @property {Holder | null} current
 */
/** @typedef {{count: number, owned: number, free: number}} KindTotals */
/** @typedef {{unit_id: number | null, unit_name: string | null, count: number}} Owner */
/**
 * An assignment in a feature's history (GET /api/v1/features/<kind>/<id>/history).
 * @typedef {object} HistoryEntry
 * @property {number} id
 * @property {string} role
 * @property {{id: number, name: string} | null} unit
 * @property {{id: number, name: string} | null} person
 * @property {string} valid_from
 * @property {string | null} valid_to
 */

const MAX_ROWS = 300;

/**
 * How a selected feature stands for the unit about to take it (gridmap.responsibility.preview.GROUPS).
 * @param {Selected} f
 * @param {number | null} unitId
 * @returns {"free" | "own" | "others"}
 */
export function groupOf(f, unitId) {
  if (!f.current) return "free";
  return unitId != null && f.current.unit_id === unitId ? "own" : "others";
}

/**
 * Fills the panel (hidden when nothing is selected).
 * @param {object} what
 * @param {Selected[]} what.features
 * @param {Record<string, KindTotals>} what.totals   by kind
 * @param {Owner[]} what.owners
 * @param {HistoryEntry[]} [what.history]   one feature's assignments in the role, oldest first
 * @param {object} ctx
 * @param {Record<string, string>} ctx.strings
 * @param {(kind: string) => string} ctx.label   a kind's label
 * @param {number | null} ctx.unitId    the unit chosen in the form (not listed among the other holders)
 */
export function showSelection({ features, totals, owners, history = [] }, { strings: S, label, unitId }) {
  byId("selection").hidden = !features.length;
  byId("sel-count").textContent = features.length ? `(${features.length})` : "";
  /** @type {Record<string, number>} */
  const groups = { free: 0, own: 0, others: 0 };
  for (const f of features) groups[groupOf(f, unitId)]++;
  byId("sel-totals").innerHTML =
    Object.entries(totals)
      .map(
        ([k, t]) =>
          `<li data-kind="${esc(k)}">${esc(label(k))}: <b>${t.count}</b> ${esc(S["unit_count_" + k] ?? "")} · ` +
          `${esc(S.caught_free)} ${t.free} · ${esc(S.caught_owned)} ${t.owned}</li>`,
      )
      .join("") +
    (features.length
      ? ["free", "own", "others"]
          .map((g) => `<li class="group group-${g}" data-group="${g}">${esc(S["group_" + g])}: <b>${groups[g]}</b></li>`)
          .join("")
      : "");
  const others = owners.filter((o) => o.unit_id !== unitId);
  byId("sel-owners").innerHTML = others.length
    ? `<h3>${esc(S.held_by_others)}</h3><ul class="legend-list">` +
      others
        .map(
          (o) =>
            `<li><span class="swatch" style="background:${unitColor(o.unit_id)}"></span>${esc(o.unit_name)} ` +
            `<span class="n">${o.count}</span></li>`,
        )
        .join("") +
      "</ul>"
    : "";
  const rows = features.slice(0, MAX_ROWS).map((f) => {
    const cur = f.current;
    const owner = cur
      ? `${esc(cur.unit_name || cur.person_name || "")} <span class="muted">${esc(cur.valid_from)}</span>`
      : `<span class="gap">${esc(S.nobody)}</span>`;
    const end = cur
      ? ` <button type="button" class="end-btn link" data-id="${cur.assignment_id}">${esc(S.end_assignment)}</button>`
      : "";
    return (
      `<tr data-kind="${esc(f.kind)}" data-id="${f.id}" class="${cur ? "owned" : "free"} ${groupOf(f, unitId)}">` +
      `<td>${esc(label(f.kind))}</td>` +
      `<td>${esc(f.name)}</td><td>${owner}${end}</td></tr>`
    );
  });
  if (features.length > MAX_ROWS) rows.push(`<tr><td colspan=3>… ${features.length - MAX_ROWS}</td></tr>`);
  if (history.length) {
    rows.push(`<tr><th colspan=3>${esc(S.history)}</th></tr>`);
    for (const a of [...history].reverse()) {
      rows.push(
        `<tr class="hist"><td></td><td>${esc(a.unit ? a.unit.name : a.person?.name)}</td>` +
          `<td>${esc(a.valid_from)} – ${esc(a.valid_to || "")}</td></tr>`,
      );
    }
  }
  query("#sel-table tbody").innerHTML = rows.join("");
}
