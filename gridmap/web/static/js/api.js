// @ts-check
// The JSON client of the pages: GET and POST with JSON, the server's message of a refused request as an ApiError
// ({error, details} bodies), cancellation by AbortSignal, and the count of requests in flight.
import { hook } from "./hook.js";

let inFlight = 0;

/** A request the server refused (4xx) or failed (5xx), with its message and details. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {string[]} details
   */
  constructor(message, status, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.details = details;
  }
}

/**
 * The page's CSRF token (base.html puts it in a meta tag): a signed-in session's change must carry it.
 * @returns {string}
 */
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta?.getAttribute("content") ?? "";
}

/**
 * A JSON request (or a multipart one: ``body`` a FormData, photos and all); resolves to the parsed body, rejects
 * with an ApiError (or the fetch's AbortError).
 * @param {string} url
 * @param {{method?: string, body?: unknown, signal?: AbortSignal, accept?: string}} [opts]
 * @returns {Promise<any>}
 */
export async function request(url, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: opts.accept ?? "application/json" };
  const form = opts.body instanceof FormData;
  if (opts.body !== undefined && !form) headers["Content-Type"] = "application/json";
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  inFlight++;
  hook.busy = inFlight;
  try {
    const r = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : form ? /** @type {FormData} */ (opts.body) : JSON.stringify(opts.body),
      signal: opts.signal,
    });
    if (r.ok) return await r.json();
    const err = await r.json().catch(() => ({}));
    // `message` is in the reader's language (zh-CN: the server's Chinese sentence); `error` the stable English.
    const details = Array.isArray(err.message_details) && err.message_details.length ? err.message_details : err.details;
    throw new ApiError(err.message || err.error || `HTTP ${r.status}`, r.status, Array.isArray(details) ? details : []);
  } finally {
    inFlight--;
    hook.busy = inFlight;
  }
}

/**
 * POST a form (multipart: photos and fields) with the page's CSRF token; resolves to the JSON answer.
 * @param {string} url
 * @param {FormData} form
 * @returns {Promise<any>}
 */
export function postForm(url, form) {
  return request(url, { method: "POST", body: form });
}

/**
 * GET a JSON document.
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export function getJSON(url, signal) {
  return request(url, { signal });
}

/**
 * POST a JSON body, get the JSON answer.
 * @param {string} url
 * @param {unknown} body
 * @returns {Promise<any>}
 */
export function postJSON(url, body) {
  return request(url, { method: "POST", body });
}

/** @returns {number} the requests in flight */
export function busy() {
  return inFlight;
}

/**
 * Was this the rejection of a request cancelled on purpose (AbortController)?
 * @param {unknown} err
 */
export function isAbort(err) {
  return err instanceof DOMException && err.name === "AbortError";
}

/**
 * The text to show for a failure: the server's message and those of its details not already in it.
 * @param {unknown} err
 * @returns {string}
 */
export function errorText(err) {
  if (!(err instanceof Error)) return String(err);
  const details = err instanceof ApiError ? err.details.filter((d) => d && !err.message.includes(d)) : [];
  return err.message + (details.length ? "\n" + details.join("\n") : "");
}
