// @ts-check
// Typed access to the elements of the page templates (gridmap/web/templates): a missing element is a clear error at
// start rather than a null later; status messages; <option>s.

/**
 * The element with this id, checked to be of the given class (HTMLInputElement …; default any HTMLElement).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [type]
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  if (type && !(el instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return /** @type {T} */ (el);
}

/**
 * The first element matching a selector (checked to exist).
 * @param {string} selector
 * @returns {HTMLElement}
 */
export function query(selector) {
  const el = document.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`${selector} is missing from the page`);
  return el;
}

/**
 * Shows a message in a status element: class "msg" plus its kind ("ok", "error", "error conflict"; "" for plain).
 * @param {HTMLElement} el
 * @param {string | undefined} text
 * @param {string} [kind]
 */
export function message(el, text, kind = "") {
  el.textContent = text ?? "";
  el.className = "msg" + (kind ? " " + kind : "");
}

/**
 * Appends an <option> to a <select>.
 * @param {HTMLSelectElement} select
 * @param {string | number} value
 * @param {string} text
 */
export function addOption(select, value, text) {
  const o = document.createElement("option");
  o.value = String(value);
  o.textContent = text;
  select.appendChild(o);
}
