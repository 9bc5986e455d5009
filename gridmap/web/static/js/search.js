// @ts-check
// The coverage map's search box: GET /api/v1/search?q= finds units, roads, compounds and grid codes; a hit zooms the
// map to it (dashed box) and, for a compound or a grid, opens its popup once the layers for the new view are drawn.
import { busy, errorText, getJSON } from "./api.js";
import { byId } from "./dom.js";
import { HIGHLIGHT_COLOR } from "./colors.js";
import { esc, withLang } from "./strings.js";

/**
 * A search hit (gridmap.maps.features.search).
 * @typedef {object} SearchHit
 * @property {string} kind    an assignable kind, or "unit" / "road" (a road: all its segments)
 * @property {number} id
 * @property {string} label
 * @property {number[] | null} bbox  [west, south, east, north]
 * @property {string} [url]   a unit's page
 * @property {number[]} [segment_ids]  a road: its segments (outlined on the map, not boxed)
 */

/**
 * @param {import("./map.js").GridMap} gm
 */
export function setupSearch(gm) {
  const S = gm.strings;
  const form = byId("search-form", HTMLFormElement);
  const box = byId("search-box", HTMLInputElement);
  const out = byId("search-results");
  /** @type {L.Rectangle | null} */
  let zoomBox = null;
  let zoomToken = 0; // only the latest hit opens its popup
  /** @type {(() => void) | null} */
  let pendingMoveEnd = null;

  /** @param {SearchHit} hit */
  function zoomTo(hit) {
    const b = hit.bbox;
    if (!b) return;
    const bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    if (zoomBox) gm.map.removeLayer(zoomBox);
    zoomBox = null;
    const roadLayer = gm.kinds.collectionOf("segment");
    if (hit.kind === "road" && hit.segment_ids && roadLayer) {
      // a road is its segments: outline them (a box around a long road would cover half the district)
      gm.highlight(roadLayer, hit.segment_ids);
    } else {
      zoomBox = L.rectangle(bounds.pad(0.05), {
        color: HIGHLIGHT_COLOR,
        weight: 2,
        fill: false,
        dashArray: "6 4",
        interactive: false,
      }).addTo(gm.map);
    }
    if (pendingMoveEnd) gm.map.off("moveend", pendingMoveEnd);
    pendingMoveEnd = null;
    const token = ++zoomToken;
    const cid = gm.kinds.collectionOf(hit.kind); // a unit or a road has no single feature to open
    if (cid) {
      const onMoveEnd = () => {
        pendingMoveEnd = null;
        // after the map's own reload has started (150 ms after moveend), wait for its requests to end
        setTimeout(function wait() {
          if (token !== zoomToken) return;
          if (busy() > 0) setTimeout(wait, 100);
          else gm.openPopup(cid, hit.id, bounds.getCenter()); // a tiled layer holds no drawn feature to open it at
        }, 250);
      };
      pendingMoveEnd = onMoveEnd;
      gm.map.once("moveend", onMoveEnd);
    }
    gm.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = box.value.trim();
    if (!q) return;
    /** @type {{results: SearchHit[]}} */
    let d;
    try {
      d = await getJSON(`${gm.cfg.api}/search?q=${encodeURIComponent(q)}${gm.at ? "&at=" + gm.at : ""}`);
    } catch (err) {
      out.innerHTML = `<li class="error">${esc(errorText(err))}</li>`;
      return;
    }
    out.innerHTML = "";
    if (!d.results.length) {
      out.innerHTML = `<li class="muted">${esc(S.search_none)}</li>`;
      return;
    }
    for (const hit of d.results) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "#";
      a.className = "search-hit";
      a.dataset.kind = hit.kind;
      a.textContent = `${gm.kinds.label(hit.kind) ?? S[hit.kind] ?? hit.kind} · ${hit.label}`;
      a.addEventListener("click", (e) => {
        e.preventDefault();
        zoomTo(hit);
      });
      li.appendChild(a);
      if (hit.url) {
        const u = document.createElement("a");
        u.href = withLang(hit.url, gm.cfg.lang);
        u.className = "unit-page-link";
        u.textContent = " ↗ " + S.unit_page;
        li.appendChild(u);
      }
      out.appendChild(li);
    }
    if (d.results.length === 1) zoomTo(d.results[0]);
  });
}
