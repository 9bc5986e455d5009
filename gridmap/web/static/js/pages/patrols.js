// @ts-check
// 路长巡查 (/patrols, patrols.html): the map of road segments coloured by the days since each was last patrolled
// (GET /api/v1/patrols/layer); the tables beside it are rendered by the server.
import { request } from "../api.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Colour classes by days since the last patrol (null: never): the rule's month in mind. */
const BANDS = [
  { upTo: 7, color: "#2e7d32" },
  { upTo: 14, color: "#9e9d24" },
  { upTo: 30, color: "#ef6c00" },
];
const NEVER = "#c62828";
const NO_CHIEF = "#9e9e9e";

/** @param {{days: number | null, has_chief: boolean}} p */
function colour(p) {
  if (!p.has_chief) return NO_CHIEF;
  if (p.days === null) return NEVER;
  for (const b of BANDS) if (p.days <= b.upTo) return b.color;
  return NEVER;
}

export async function patrolsPage() {
  /** @type {{asOf: string, strings: Record<string, string>}} */
  const cfg = JSON.parse($("patrols-config").textContent || "{}");
  const s = cfg.strings;
  const map = L.map("patrols-map", { attributionControl: false, preferCanvas: true }).setView([37.52, 111.14], 13);
  const legend = $("patrols-legend");
  legend.append(s.patrol_days_legend);
  for (const [label, color] of [
    ...BANDS.map((b) => [s.patrol_days_n.replace("{n}", String(b.upTo)), b.color]),
    [s.patrol_never, NEVER],
    [s.patrol_no_chief, NO_CHIEF],
  ]) {
    const key = document.createElement("span");
    key.className = "legend-key";
    key.style.borderBottom = `4px solid ${color}`;
    key.textContent = ` ${label} `;
    legend.append(key);
  }
  const data = await request(`/api/v1/patrols/layer?as_of=${encodeURIComponent(cfg.asOf)}`, {
    accept: "application/geo+json",
  });
  const layer = L.geoJSON(data, {
    style: (f) => ({ color: colour(f?.properties), weight: 3 }),
    onEachFeature: (f, l) => {
      const p = f.properties;
      const when = p.days === null ? s.patrol_never : `${p.last_patrolled} (${p.days})`;
      l.bindTooltip(`${p.name || p.id}: ${when}`, { sticky: true });
    },
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds);
  document.body.dataset.patrolLayer = String(data.features.length);
}

void patrolsPage();
