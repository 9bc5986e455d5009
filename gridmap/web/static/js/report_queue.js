// @ts-check
/* global idbKeyval */
// The phone's queue of 随手拍 reports (idb-keyval, IndexedDB): every report is stored here first with its client id,
// then sent; one that cannot be sent (no network, a 5xx, a 429) stays and is retried on load, when the phone comes
// back online and every 30 s — honouring Retry-After. The server answers a client id it has seen with the first case,
// so a retry whose first answer was lost never makes a second case.

const PREFIX = "report:";
const RETRY_MS = 30_000;
/** @type {(() => void) | null} */
let retry = null; // the page's retry (startRetrying), run again when a Retry-After ends

/**
 * @typedef {{id: string, fields: Record<string, string>, photos: {name: string, blob: Blob}[], notBefore: number}} Queued
 * @typedef {{kind: "sent", receipt: string, trackUrl: string, created: boolean}
 *   | {kind: "queued", reason: string, retryAfter?: number}
 *   | {kind: "refused", message: string}} Outcome
 */

/** @param {Queued} item */
export async function enqueue(item) {
  await idbKeyval.set(PREFIX + item.id, item);
}

/** @returns {Promise<Queued[]>} */
export async function waiting() {
  const keys = (await idbKeyval.keys()).filter((k) => typeof k === "string" && k.startsWith(PREFIX));
  const items = await Promise.all(keys.map((k) => idbKeyval.get(/** @type {string} */ (k))));
  return /** @type {Queued[]} */ (items.filter(Boolean));
}

/**
 * Send one queued report; on an answer (sent or refused) it leaves the queue, otherwise it stays.
 * @param {string} url
 * @param {Queued} item
 * @returns {Promise<Outcome>}
 */
export async function send(url, item) {
  const form = new FormData();
  for (const [k, v] of Object.entries(item.fields)) form.append(k, v);
  form.append("client_id", item.id);
  for (const p of item.photos) form.append("photos", p.blob, p.name);
  /** @type {Response} */
  let resp;
  try {
    resp = await fetch(url, { method: "POST", body: form, headers: { Accept: "application/json" } });
  } catch {
    return { kind: "queued", reason: "offline" };
  }
  if (resp.status === 429 || resp.status >= 500) {
    const seconds = Number(resp.headers.get("Retry-After")) || RETRY_MS / 1000;
    item.notBefore = Date.now() + seconds * 1000;
    await enqueue(item);
    if (retry) setTimeout(retry, seconds * 1000 + 50);
    return { kind: "queued", reason: resp.status === 429 ? "limited" : "server", retryAfter: seconds };
  }
  /** @type {any} */
  let body = {};
  try {
    body = await resp.json();
  } catch {
    body = {};
  }
  await idbKeyval.del(PREFIX + item.id);
  if (resp.ok) return { kind: "sent", receipt: body.receipt, trackUrl: body.track_url, created: !!body.created };
  return { kind: "refused", message: body.error || String(resp.status) };
}

let flushing = false;

/**
 * Send every queued report that is due; calls ``onOutcome`` for each.
 * @param {string} url
 * @param {(item: Queued, outcome: Outcome) => void} onOutcome
 */
export async function flush(url, onOutcome) {
  if (flushing || !navigator.onLine) return;
  flushing = true;
  try {
    for (const item of await waiting()) {
      if (item.notBefore > Date.now()) continue;
      const outcome = await send(url, item);
      onOutcome(item, outcome);
      if (outcome.kind === "queued") break; // still no way through: try the rest later
    }
  } finally {
    flushing = false;
  }
}

/**
 * Retry on load, when the phone is back online, and every 30 s.
 * @param {string} url
 * @param {(item: Queued, outcome: Outcome) => void} onOutcome
 */
export function startRetrying(url, onOutcome) {
  const run = () => void flush(url, onOutcome);
  retry = run;
  window.addEventListener("online", run);
  setInterval(run, RETRY_MS);
  run();
}
