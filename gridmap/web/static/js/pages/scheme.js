// @ts-check
// 考核方案 (/admin/schemes/<code>, scheme.html): an administrator edits a version — weights, each rule's figures,
// grades — or the whole document as JSON, and saves it as a NEW version through /api/v1/schemes (the version shown
// never changes). The server validates; its message, in the reader's language, names the field, which is marked.
import { errorText, postJSON } from "../api.js";
import { byId } from "../dom.js";
import { fmt, withLang } from "../strings.js";

/** @type {{lang: string, url: string, page: string, document: Record<string, any>, strings: Record<string, string>}} */
const cfg = JSON.parse(byId("scheme-config").textContent || "{}");
const s = cfg.strings;
const form = byId("scheme-form", HTMLFormElement);
const status = byId("scheme-status");

/**
 * A field's value as the document wants it; a number that does not read as one is sent as typed, so that the
 * server's message names it (the page does not second-guess the scheme's rules).
 * @param {HTMLInputElement} input
 */
function valueOf(input) {
  const kind = input.dataset.type;
  if (kind === "bool") return input.checked;
  const text = input.value.trim();
  if (kind === "number") return text !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
  if (kind === "tiers") {
    return text
      .split(/[,，;；]/)
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => t.split(/[:：]/).map((x) => (Number.isFinite(Number(x)) && x.trim() !== "" ? Number(x) : x.trim())));
  }
  return text === "" && input.dataset.path === "name_en" ? null : text;
}

/**
 * Sets `doc[a][b]…` for the dotted path "a.b.…" (numbers index lists).
 * @param {Record<string, any>} doc @param {string} path @param {unknown} value
 */
function put(doc, path, value) {
  const parts = path.split(".");
  /** @type {any} */
  let at = doc;
  for (const p of parts.slice(0, -1)) at = at[p];
  at[/** @type {string} */ (parts.at(-1))] = value;
}

/** Marks the inputs whose paths the refusal names (its details say "field 'components.1.weight': …"). */
function mark(/** @type {unknown} */ err) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const text = err instanceof Error && "details" in err ? String(/** @type {any} */ (err).details) + err.message : "";
  for (const m of text.matchAll(/(?:field '|“)([a-z_0-9.]+)(?:'|”)/g)) {
    const el = form.querySelector(`[data-path="${m[1]}"]`) ?? form.querySelector(`[data-path^="${m[1]}."]`);
    el?.setAttribute("aria-invalid", "true");
  }
}

/** @param {Record<string, any>} doc */
async function save(doc) {
  status.className = "status";
  status.textContent = "…";
  try {
    const note = byId("scheme-note", HTMLInputElement).value.trim() || null;
    const saved = await postJSON(withLang(cfg.url, cfg.lang), { document: doc, note });
    status.textContent = fmt(s.sch_saved, { v: saved.version });
    status.dataset.saved = String(saved.version);
    window.location.assign(withLang(`${cfg.page}?version=${saved.version}`, cfg.lang));
  } catch (err) {
    status.className = "status error-message";
    status.textContent = fmt(s.sch_failed, { message: errorText(err) });
    mark(err);
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const doc = structuredClone(cfg.document);
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll("[data-path]"))) {
    put(doc, /** @type {string} */ (input.dataset.path), valueOf(input));
  }
  save(doc);
});

byId("scheme-save-json").addEventListener("click", () => {
  let doc;
  try {
    doc = JSON.parse(byId("scheme-json", HTMLTextAreaElement).value);
  } catch (err) {
    status.className = "status error-message";
    status.textContent = fmt(s.sch_bad_json, { message: err instanceof Error ? err.message : String(err) });
    return;
  }
  save(doc);
});
