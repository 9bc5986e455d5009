// @ts-check
// 模拟测评 (assessments.html, assessment.html): the draw form (POST /api/v1/assessments, then the new assessment's
// page), and an assessment's page — its drawn points on a tile-less map, numbered by their stop and coloured by team,
// each point's score form (PUT …/points/<id>/score), and the score rates by type, 街道 and overall re-read after
// each score (GET …/results).
import { fmt } from "../strings.js";
import { request } from "../api.js";

const TEAM_COLOURS = ["#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#0b7285", "#5c940d", "#e67700"];

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * A refused request's sentence for a person: the server's zh message names each field by its API name (“score”：…),
 * which a form user does not need — the form shows the field beside the message.
 * @param {unknown} err
 */
function messageOf(err) {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/“[A-Za-z_.]+”：/g, "");
}

/** @param {number | null} rate */
const pct = (rate) => (rate == null ? "—" : `${(rate * 100).toFixed(1)}%`);

/** @param {number | null} pp */
const change = (pp) => (pp == null ? "—" : `${pp > 0 ? "+" : ""}${pp.toFixed(1)}`);

/**
 * @param {Record<string, string>} s
 * @param {any} results
 */
function renderResults(s, results) {
  const box = $("results");
  box.replaceChildren();
  $("results-vs").textContent = results.previous
    ? fmt(s.assess_vs, { title: results.previous.title, day: results.previous.drawn_on })
    : s.assess_no_previous;
  /** @param {string} head @param {any[]} lines @param {(l: any) => string} label */
  const table = (head, lines, label) => {
    const t = document.createElement("table");
    t.className = "rates";
    const tr = t.createTHead().insertRow();
    for (const h of [head, s.assess_scored, s.assess_rate, s.assess_previous, s.assess_change]) {
      const th = document.createElement("th");
      th.textContent = h;
      tr.append(th);
    }
    const body = t.createTBody();
    for (const l of lines) {
      const row = body.insertRow();
      for (const v of [label(l), `${l.scored} / ${l.points}`, pct(l.rate), pct(l.previous_rate), change(l.change_pp)]) {
        row.insertCell().textContent = v;
      }
    }
    box.append(t);
  };
  table(s.assess_overall, [results.overall], () => s.assess_overall);
  table(s.assess_type, results.by_type, (l) => l.type_name);
  table(s.assess_street, results.by_street, (l) => l.street_name || s.assess_no_street);
}

/** @param {any} cfg */
function showPage(cfg) {
  const s = cfg.strings;
  /** @type {{id: number, team: number, stop: number, lon: number, lat: number, name: string | null, type_name: string}[]} */
  const points = cfg.points;
  const map = L.map("assess-map", { attributionControl: false, preferCanvas: false });
  const group = L.featureGroup().addTo(map);
  for (const p of points) {
    const colour = TEAM_COLOURS[(p.team - 1) % TEAM_COLOURS.length];
    const icon = L.divIcon({
      className: "stop-icon",
      html: `<span style="background:${colour}">${p.stop}</span>`,
      iconSize: [26, 26],
      iconAnchor: [13, 13],
    });
    L.marker([p.lat, p.lon], { icon, keyboard: false })
      .bindTooltip(`${fmt(s.assess_team, { n: p.team })} · ${p.stop}. ${p.type_name} ${p.name ?? ""}`)
      .on("click", () => document.getElementById(`point-${p.id}`)?.scrollIntoView({ behavior: "smooth" }))
      .addTo(group);
  }
  const teams = [...new Set(points.map((p) => p.team))];
  for (const t of teams) {
    const walk = points.filter((p) => p.team === t).sort((a, b) => a.stop - b.stop);
    L.polyline(
      walk.map((p) => /** @type {[number, number]} */ ([p.lat, p.lon])),
      { color: TEAM_COLOURS[(t - 1) % TEAM_COLOURS.length], weight: 2, opacity: 0.7, dashArray: "4 4" },
    ).addTo(group);
  }
  if (points.length) map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 16 });
  else map.setView([37.52, 111.14], 13);
  document.body.dataset.mapReady = "1";

  renderResults(s, cfg.results);
  $("print").addEventListener("click", () => window.print());
  const close = document.getElementById("close-assessment");
  close?.addEventListener("click", async () => {
    if (!window.confirm(s.assess_confirm_close)) return;
    const status = $("close-status");
    try {
      await request(cfg.closeUrl, { method: "POST" });
      window.location.reload();
    } catch (err) {
      status.textContent = messageOf(err);
      status.className = "status error-message";
    }
  });
  for (const form of document.querySelectorAll("form.score-form")) {
    if (!(form instanceof HTMLFormElement)) continue;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const status = /** @type {HTMLElement} */ (form.querySelector(".status"));
      const data = new FormData(form);
      const body = { score: data.get("score"), possible: data.get("possible"), note: data.get("note") };
      try {
        const p = await request(`${cfg.scoreUrl}${form.dataset.point}/score`, { method: "PUT", body });
        status.textContent = s.assess_saved;
        status.className = "status ok";
        const shown = form.parentElement?.querySelector('[data-role="shown"]');
        if (shown) shown.textContent = `${s.assess_score} ${p.score} / ${p.possible}${p.note ? ` · ${p.note}` : ""}`;
        renderResults(s, await request(cfg.resultsUrl));
      } catch (err) {
        status.textContent = messageOf(err);
        status.className = "status error-message";
      }
    });
  }
}

/** @param {any} cfg */
function listPage(cfg) {
  const form = document.getElementById("draw-form");
  if (!(form instanceof HTMLFormElement)) return;
  const s = cfg.strings;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = $("draw-status");
    const value = (/** @type {string} */ name) => {
      const v = /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value.trim();
      return v === "" ? undefined : v;
    };
    /** @type {Record<string, string>} */
    const quotas = {};
    for (const input of form.querySelectorAll("input[data-type]")) {
      const v = /** @type {HTMLInputElement} */ (input).value.trim();
      if (v !== "") quotas[/** @type {HTMLInputElement} */ (input).dataset.type ?? ""] = v;
    }
    const body = {
      title: value("title"),
      points: value("points"),
      teams: value("teams"),
      exclude_weeks: value("exclude_weeks"),
      seed: value("seed"),
      drawn_on: value("drawn_on"),
      quotas,
    };
    status.textContent = s.assess_drawing;
    $("draw-go").setAttribute("disabled", "");
    try {
      const made = await request(cfg.api, { method: "POST", body });
      window.location.assign(cfg.show.replace(/0$/, String(made.id)));
    } catch (err) {
      status.textContent = fmt(s.assess_failed, { message: messageOf(err) });
      $("draw-go").removeAttribute("disabled");
    }
  });
}

const cfg = JSON.parse($("assess-config").textContent || "{}");
if (cfg.page === "show") showPage(cfg);
else listPage(cfg);
