// @ts-check
// The popups of the map's features. An assignable feature (segment, compound, grid): its responsible unit, the people
// in its kind's roles, its open cases and a link to its history (GET /api/v1/features/<kind>/<id>). A case, a 街道
// or 社区: what its layer already holds.
import { getJSON, errorText } from "./api.js";
import { stateColor } from "./colors.js";
import { CASE_LAYER, COMPONENT_LAYER } from "./look.js";
import { esc, withLang } from "./strings.js";
import { localTime } from "./times.js";

/**
 * GET /api/v1/features/<kind>/<id> (gridmap.maps.features.feature_details), as the popup reads it.
 * @typedef {object} FeatureDetails
 * @property {string} kind
 * @property {number} id
 * @property {string | null} name
 * @property {string} responsibility
 * @property {{unit: {id: number, name: string} | null, valid_to: string | null} | null} responsible
 * @property {{role: string, role_zh: string, people: {name: string, phone: string | null}[]}[]} roles
 * @property {{id: number, category: string, category_name: string | null, deadline: string | null}[]} open_cases
 * @property {string} history_page
 */

/**
 * What a popup needs of its map.
 * @typedef {object} PopupContext
 * @property {string} api     the JSON API root
 * @property {string} lang
 * @property {Record<string, string>} strings
 * @property {string | null} at       the day shown
 * @property {string | null} kind     the feature's assignable kind (null: a case or an area)
 * @property {string | undefined} kindLabel
 * @property {string} timeZone  the city's (times are shown in it, whatever the browser's own zone)
 * @property {Record<string, string>} statuses  a case status's name in the page's language
 */

/**
 * A case number as a link to its case page (never to its JSON).
 * @param {PopupContext} ctx
 * @param {string | number | undefined} id
 */
function caseLink(ctx, id) {
  return `<a class="case-link" href="${esc(withLang(`/cases/${id}`, ctx.lang))}">#${esc(id)}</a>`;
}

/**
 * The popup's HTML.
 * @param {PopupContext} ctx
 * @param {string} cid  the feature's collection
 * @param {import("./layers.js").FeatureRef} f
 * @returns {Promise<string>}
 */
export async function popupHtml(ctx, cid, f) {
  const S = ctx.strings;
  const p = f.properties ?? {};
  if (!ctx.kind) {
    if (cid === CASE_LAYER) {
      return (
        `<div class="gm-popup"><h3>${esc(S.cases)} ${caseLink(ctx, f.id)}</h3>` +
        `<p>${esc(p.category_name || p.category)} · ${esc(p.status ? (ctx.statuses[p.status] ?? p.status) : "")}</p>` +
        `<p>${esc(S.deadline)}: ${esc(localTime(p.deadline, ctx.timeZone))}</p>` +
        `<p>${esc(S.responsible_unit)}: ${unitLink(ctx, p.unit_id, p.unit_name)}</p></div>`
      );
    }
    if (cid === COMPONENT_LAYER) {
      // a component 部件: its class, its code and its owner 权属单位 (who a report about it goes to)
      return (
        `<div class="gm-popup"><h3>${esc(S.components)} · ${esc(p.name || p.class_name)}</h3>` +
        `<p>${esc(p.code ?? "#" + f.id)}</p>` +
        `<p>${esc(S.owner_unit)}: ${p.unit_id ? unitLink(ctx, p.unit_id, p.unit_name) : esc(S.no_owner)}</p></div>`
      );
    }
    return (
      `<div class="gm-popup"><h3>${esc(p.name)}</h3><p>${esc(p.code)}</p>` +
      `<p>${esc(S.responsible_unit)}: ${unitLink(ctx, p.unit_id, p.unit_name)}</p></div>`
    );
  }
  /** @type {FeatureDetails} */
  let d;
  try {
    d = await getJSON(`${ctx.api}/features/${ctx.kind}/${f.id}${ctx.at ? "?at=" + ctx.at : ""}`);
  } catch (err) {
    return `<p class="error">${esc(errorText(err))}</p>`;
  }
  const h = [`<div class="gm-popup" data-kind="${esc(ctx.kind)}" data-id="${d.id}">`];
  h.push(`<h3>${esc(ctx.kindLabel)} · ${esc(d.name || "#" + d.id)}</h3>`);
  const resp = d.responsible;
  h.push(
    `<p class="resp resp-${esc(d.responsibility)}">` +
      `<span class="swatch" style="background:${stateColor(d.responsibility)}"></span>` +
      `${esc(S.responsible_unit)}: ` +
      (resp?.unit ? unitLink(ctx, resp.unit.id, resp.unit.name) : esc(S.none_responsible)) +
      (resp?.valid_to ? ` (${esc(S.valid_until)} ${esc(resp.valid_to)})` : "") +
      "</p>",
  );
  h.push('<table class="roles">');
  for (const r of d.roles) {
    const names = r.people.length
      ? r.people.map((x) => esc(x.name) + (x.phone ? ` <span class="phone">${esc(x.phone)}</span>` : "")).join("、")
      : `<span class="muted">${esc(S.nobody)}</span>`;
    // the API names a role in Chinese only (role_zh); in English its code reads well enough ("road chief")
    const role = ctx.lang === "en" ? r.role.replace(/_/g, " ") : r.role_zh;
    h.push(`<tr><th>${esc(role)}</th><td>${names}</td></tr>`);
  }
  h.push("</table>");
  h.push(`<h4>${esc(S.open_cases)} (${d.open_cases.length})</h4>`);
  if (d.open_cases.length) {
    h.push('<ul class="cases">');
    for (const c of d.open_cases) {
      h.push(`<li>${caseLink(ctx, c.id)} ${esc(c.category_name || c.category)} · ${esc(S.deadline)} ${esc(localTime(c.deadline, ctx.timeZone))}</li>`);
    }
    h.push("</ul>");
  }
  const history = esc(withLang(d.history_page, ctx.lang));
  h.push(`<p><a class="history-link" href="${history}" target="_blank">${esc(S.history)}</a></p>`);
  h.push("</div>");
  return h.join("");
}

/**
 * A link to a unit's page (no unit: "none responsible").
 * @param {{lang: string, strings: Record<string, string>}} ctx
 * @param {number | null | undefined} id
 * @param {string | null | undefined} name
 */
function unitLink(ctx, id, name) {
  if (id == null) return `<span class="muted">${esc(ctx.strings.none_responsible)}</span>`;
  return `<a class="unit-link" href="${esc(withLang("/units/" + id, ctx.lang))}">${esc(name)}</a>`;
}
