// @ts-check
// Page entry point of assigning by drawing (/assign, assign.html): draw a line or an area, or click one feature →
// POST /api/v1/assignments/preview says what it catches and who holds each in the chosen role → choose unit, role,
// dates → POST /api/v1/assignments with the assignment ids seen (a stale view is refused with 409 and shown again);
// an assignment can be ended from the table. The district's gap totals follow each change.
// Features held by another unit are never taken silently: the preview groups them apart (free / own / others) and
// they are sent with take_over only when the commander ticks the box that names every unit losing something.
import { errorText, getJSON, postJSON, ApiError } from "./api.js";
import { readConfig } from "./config.js";
import { byId, message } from "./dom.js";
import { addDrawing } from "./draw.js";
import { hook } from "./hook.js";
import { AREA_LAYERS, targetLayers } from "./look.js";
import { GridMap } from "./map.js";
import { setupSearch } from "./search.js";
import { groupOf, showSelection } from "./selection.js";
import { esc, fmt } from "./strings.js";

/** @typedef {import("./selection.js").Selected} Selected */
/** @typedef {import("./selection.js").KindTotals} KindTotals */
/** @typedef {import("./selection.js").Owner} Owner */
/** @typedef {import("./selection.js").HistoryEntry} HistoryEntry */

/**
 * What is selected: the features caught by the drawn shape, or the one clicked.
 * @typedef {object} Selection
 * @property {Selected[]} features
 * @property {import("geojson").Geometry | null} shape
 * @property {{kind: string, feature: import("./layers.js").FeatureRef} | null} single
 */

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function assign(cfg = readConfig()) {
  const S = cfg.pageStrings ?? {};
  const msg = byId("assign-msg");
  const unitSelect = byId("unit", HTMLSelectElement);
  const roleSelect = byId("role", HTMLSelectElement);
  const takeOver = byId("take-over", HTMLInputElement);
  const confirmBtn = byId("confirm-assign", HTMLButtonElement);
  const unitFilter = byId("unit-filter", HTMLInputElement);
  /** @type {Selection} */
  const sel = { features: [], shape: null, single: null };
  const gm = new GridMap(cfg, {
    layers: [...AREA_LAYERS, ...targetLayers(cfg.kinds)],
    onFeatureClick: (info) => {
      if (!info.kind) return false;
      selectOne(info.kind, info.feature);
      return true;
    },
  });
  const label = (/** @type {string} */ kind) => gm.kinds.label(kind) ?? kind;
  const drawing = addDrawing(
    gm.map,
    (shape) => {
      sel.shape = shape;
      sel.single = null;
      preview();
    },
    cfg.lang,
  );

  /** @returns {string[]} the kinds to catch */
  function kinds() {
    return [...document.querySelectorAll("#catch-kinds input[name=kind]:checked")].map(
      (el) => /** @type {HTMLInputElement} */ (el).value,
    );
  }

  /**
   * @param {Selected[]} features
   * @param {Record<string, KindTotals>} totals
   * @param {Owner[]} owners
   * @param {HistoryEntry[]} [history]
   */
  function show(features, totals, owners, history) {
    sel.features = features;
    for (const { kind, collection } of gm.kinds.list) {
      gm.highlight(
        collection,
        features.filter((f) => f.kind === kind).map((f) => f.id),
      );
    }
    const unitId = +unitSelect.value || null;
    showSelection({ features, totals, owners, history }, { strings: S, label, unitId });
    showTakeOver(features, unitId);
    // On a phone the panel is a drawer: open it to show what was caught (static/js/nav.js).
    if (features.length) document.getElementById("map-side")?.dispatchEvent(new CustomEvent("gridmap:show"));
  }

  /**
   * The take-over box: shown when another unit holds some of the selection, unticked by default; ticked, it names
   * each unit and what it loses ("以下单位将失去：…") and the confirm button says it takes them.
   * @param {Selected[]} features
   * @param {number | null} unitId
   */
  function showTakeOver(features, unitId) {
    /** @type {Map<string, {name: string, kinds: Map<string, number>}>} */
    const losers = new Map();
    for (const f of features) {
      if (groupOf(f, unitId) !== "others" || !f.current) continue;
      const key = String(f.current.unit_id ?? f.current.person_name);
      const name = f.current.unit_name || f.current.person_name || "";
      const l = losers.get(key) ?? { name, kinds: new Map() };
      l.kinds.set(f.kind, (l.kinds.get(f.kind) ?? 0) + 1);
      losers.set(key, l);
    }
    byId("takeover").hidden = losers.size === 0;
    if (losers.size === 0) takeOver.checked = false;
    byId("takeover-losses").innerHTML = [...losers.values()]
      .map(
        (l) =>
          `<li><b>${esc(l.name)}</b>：` +
          [...l.kinds]
            .map(([k, n]) => `${esc(label(k))} ${n} ${esc(S["unit_count_" + k] ?? "")}`.trim())
            .join("、") +
          "</li>",
      )
      .join("");
    byId("takeover-named").hidden = !takeOver.checked;
    confirmBtn.textContent = takeOver.checked ? S.take_over_confirm : S.confirm_assign;
    confirmBtn.classList.toggle("danger", takeOver.checked);
  }

  async function preview() {
    if (!sel.shape) return;
    message(msg, S.loading);
    try {
      /** @type {{features: Selected[], totals: Record<string, KindTotals>, owners: Owner[]}} */
      const data = await postJSON(`${cfg.api}/assignments/preview`, {
        shape: sel.shape,
        kinds: kinds(),
        buffer_m: byId("buffer-m", HTMLInputElement).value,
        role: roleSelect.value, // who holds each in this role: its assignment is the one `expected` names
        unit_id: unitSelect.value || null,
      });
      show(data.features, data.totals, data.owners);
      message(msg, "");
    } catch (err) {
      show([], {}, []);
      message(msg, errorText(err), "error");
    }
  }

  /**
   * Selects one clicked feature, with who holds it in the chosen role and its history in that role.
   * @param {string} kind
   * @param {import("./layers.js").FeatureRef} f
   */
  async function selectOne(kind, f) {
    drawing.clear();
    sel.shape = null;
    sel.single = { kind, feature: f };
    message(msg, S.loading);
    try {
      /** @type {{name: string | null, assignments: HistoryEntry[]}} */
      const h = await getJSON(`${cfg.api}/features/${kind}/${f.id}/history`);
      const role = roleSelect.value;
      const history = h.assignments.filter((a) => a.role === role);
      const open = history.find((a) => !a.valid_to) ?? null; // the server's open row: valid_to empty
      const p = f.properties ?? {};
      /** @type {Selected} */
      const feature = {
        kind,
        id: Number(f.id),
        name: h.name || p.name || p.code || `#${f.id}`,
        current: open
          ? {
              assignment_id: open.id,
              unit_id: open.unit?.id ?? null,
              unit_name: open.unit?.name ?? null,
              person_name: open.person?.name ?? null,
              valid_from: open.valid_from,
            }
          : null,
      };
      const cur = feature.current;
      const owners = cur ? [{ unit_id: cur.unit_id, unit_name: cur.unit_name, count: 1 }] : [];
      show([feature], { [kind]: { count: 1, owned: open ? 1 : 0, free: open ? 0 : 1 } }, owners, history);
      message(msg, "");
    } catch (err) {
      message(msg, errorText(err), "error");
    }
  }

  /** Shows the selection again as it is now (after a change, or a refusal because it changed). */
  async function refreshSelection() {
    if (sel.shape) await preview();
    else if (sel.single) await selectOne(sel.single.kind, sel.single.feature);
  }

  /** The district's gap totals (GET /api/v1/gaps/summary) into #gap-totals, formatted by the key's unit. */
  async function refreshTotals() {
    /** @type {{district: Record<string, number | null>}} */
    const s = await getJSON(`${cfg.api}/gaps/summary`);
    for (const td of document.querySelectorAll("#gap-totals [data-key]")) {
      const v = s.district[td.getAttribute("data-key") ?? ""];
      const k = td.getAttribute("data-key") ?? "";
      if (k.endsWith("_coverage")) td.textContent = v == null ? "–" : (100 * v).toFixed(1) + "%";
      else if (k.endsWith("_km2")) td.textContent = Number(v).toFixed(3);
      else if (k.endsWith("_km")) td.textContent = Number(v).toFixed(2);
      else td.textContent = String(v);
    }
  }

  /** @param {string} text  the message saying what was done */
  async function afterChange(text) {
    await gm.reload(true);
    await refreshTotals();
    await refreshSelection();
    message(msg, text, "ok");
  }

  byId("assign-form", HTMLFormElement).addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!sel.features.length) return;
    const body = {
      // expected: the assignment seen; if another commander changed it meanwhile the server refuses (409)
      targets: sel.features.map((f) => ({ kind: f.kind, id: f.id, expected: f.current?.assignment_id ?? null })),
      unit_id: unitSelect.value,
      role: roleSelect.value,
      valid_from: byId("valid-from", HTMLInputElement).value,
      valid_to: byId("valid-to", HTMLInputElement).value || null,
      by: "web",
      take_over: takeOver.checked, // only ticked, with the losing units named above the button, are they taken
    };
    message(msg, S.loading);
    try {
      /** @type {{counts: {assigned: number, closed: number, held_by_others: number}}} */
      const r = await postJSON(`${cfg.api}/assignments`, body);
      takeOver.checked = false;
      const kept = r.counts.held_by_others ? " " + fmt(S.kept_by_others, { n: r.counts.held_by_others }) : "";
      await afterChange(
        (r.counts.assigned
          ? fmt(S.assigned_ok, { n: r.counts.assigned, closed: r.counts.closed })
          : S.nothing_to_assign) + kept,
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        await refreshSelection();
        await gm.reload(true);
        message(msg, S.conflict_reload + "\n" + err.message, "error conflict");
      } else {
        message(msg, errorText(err), "error");
      }
    }
  });
  byId("sel-table").addEventListener("click", async (ev) => {
    const btn = ev.target instanceof Element ? ev.target.closest(".end-btn") : null;
    if (!btn) return;
    message(msg, S.loading);
    try {
      await postJSON(`${cfg.api}/assignments/${btn.getAttribute("data-id")}/end`, {
        on: byId("end-on", HTMLInputElement).value,
        by: "web",
      });
      await afterChange(S.ended_ok);
    } catch (err) {
      message(msg, errorText(err), "error" + (err instanceof ApiError && err.status === 409 ? " conflict" : ""));
    }
  });
  byId("clear-selection").addEventListener("click", () => {
    drawing.clear();
    sel.shape = null;
    sel.single = null;
    show([], {}, []);
    message(msg, "");
  });
  for (const el of document.querySelectorAll("#catch-kinds input, #buffer-m")) el.addEventListener("change", preview);
  unitSelect.addEventListener("change", () => {
    if (sel.shape) preview();
    else show(sel.features, lastTotals(), []);
  });
  takeOver.addEventListener("change", () => showTakeOver(sel.features, +unitSelect.value || null));
  unitFilter.addEventListener("input", () => filterUnits(unitSelect, unitFilter.value));

  /** @returns {Record<string, KindTotals>} the totals of the current selection, recounted */
  function lastTotals() {
    /** @type {Record<string, KindTotals>} */
    const t = {};
    for (const f of sel.features) {
      const k = (t[f.kind] ??= { count: 0, owned: 0, free: 0 });
      k.count++;
      if (f.current) k.owned++;
      else k.free++;
    }
    return t;
  }
  roleSelect.addEventListener("change", refreshSelection);
  setupSearch(gm);
  getJSON(`${cfg.api}/units`)
    .then((/** @type {{items: {id: number, name: string, code: string, kind: string}[]}} */ d) => {
      fillUnits(unitSelect, d.items, S);
      hook.pageReady = true;
    })
    .catch((err) => message(msg, errorText(err), "error"));
  // /assign?kind=segment&id=12 (a gap's "assign" link): open with that feature selected and in view
  const asked = new URLSearchParams(location.search);
  const askedKind = asked.get("kind");
  const askedId = Number(asked.get("id"));
  const askedLayer = askedKind ? gm.kinds.collectionOf(askedKind) : null;
  if (askedKind && askedLayer && Number.isInteger(askedId) && askedId > 0) {
    getJSON(`${cfg.ogc}/collections/${askedLayer}/items/${askedId}`)
      .then((/** @type {import("./layers.js").Feature} */ f) => {
        const bounds = L.geoJSON(f).getBounds();
        if (bounds.isValid()) gm.map.fitBounds(bounds, { maxZoom: 17, animate: false });
        return selectOne(askedKind, f);
      })
      .catch((err) => message(msg, errorText(err), "error"));
  }
  hook.page = { selection: sel, preview };
  return gm;
}

/**
 * The unit picker: one <optgroup> per kind of unit (市直 / 区直 / 企业 / 街道社区), each option searchable by name
 * and code (data-search).
 * @param {HTMLSelectElement} select
 * @param {{id: number, name: string, code: string, kind: string}[]} units
 * @param {Record<string, string>} S
 */
function fillUnits(select, units, S) {
  /** @type {Map<string, HTMLOptGroupElement>} */
  const groups = new Map();
  for (const u of units) {
    let g = groups.get(u.kind);
    if (!g) {
      g = document.createElement("optgroup");
      g.label = S["unit_kind_" + u.kind] ?? u.kind;
      g.dataset.kind = u.kind;
      groups.set(u.kind, g);
      select.appendChild(g);
    }
    const o = document.createElement("option");
    o.value = String(u.id);
    o.textContent = u.name;
    o.dataset.search = `${u.name} ${u.code ?? ""}`.toLowerCase();
    g.appendChild(o);
  }
}

/**
 * Shows only the units whose name or code contains the text (and their groups); a single match is chosen.
 * @param {HTMLSelectElement} select
 * @param {string} text
 */
function filterUnits(select, text) {
  const q = text.trim().toLowerCase();
  /** @type {HTMLOptionElement[]} */
  const shown = [];
  for (const g of select.querySelectorAll("optgroup")) {
    let any = false;
    for (const o of g.querySelectorAll("option")) {
      const hit = !q || (o.dataset.search ?? "").includes(q);
      o.hidden = !hit;
      o.disabled = !hit;
      if (hit) {
        any = true;
        shown.push(o);
      }
    }
    /** @type {HTMLOptGroupElement} */ (g).hidden = !any;
  }
  if (q && shown.length === 1 && select.value !== shown[0].value) {
    select.value = shown[0].value;
    select.dispatchEvent(new Event("change"));
  }
}
