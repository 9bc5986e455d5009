// @ts-check
// Text helpers of the pages: HTML escaping, the server's message templates ("案件 {n} 件"), links that keep the
// page's language.

/** @type {Record<string, string>} */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Text → HTML-safe text (null and undefined → "").
 * @param {unknown} s
 * @returns {string}
 */
export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * Fills the {placeholders} of a server string: fmt("案件 {n} 件", {n: 3}) → "案件 3 件".
 * @param {string | undefined} template
 * @param {Record<string, unknown>} values
 * @returns {string}
 */
export function fmt(template, values) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (_m, k) => (values[k] != null ? String(values[k]) : ""));
}

/**
 * A link to one of the app's pages in the page's language (English is asked for with ?lang=en; Chinese is the
 * default and needs nothing).
 * @param {string} url
 * @param {string} lang  the page config's lang
 * @returns {string}
 */
export function withLang(url, lang) {
  return lang === "en" ? url + (url.includes("?") ? "&" : "?") + "lang=en" : url;
}
