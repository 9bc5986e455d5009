// @ts-check
// Times as every page shows them: in the city's time zone (never the browser's own), to the minute, with the zone
// beside them. The one definition: the map's popups and 我的待办 both use it.

/**
 * An ISO time in the city's time zone, to the minute, with the zone said ("2026-12-04 19:43 (UTC+08:00)"; none: "–").
 * @param {string | null | undefined} iso
 * @param {string} timeZone
 */
export function localTime(iso, timeZone) {
  if (!iso) return "–";
  // a time without an offset is UTC as stored (never the browser's own zone: that showed deadlines 8 hours early)
  const text = String(iso);
  const t = new Date(/T.*([Zz]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes("T") ? text : text + "Z");
  if (Number.isNaN(t.getTime())) return String(iso);
  /** @type {Record<string, string>} */
  const part = {};
  const fmt = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  for (const { type, value } of fmt.formatToParts(t)) part[type] = value;
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${zoneLabel(t, timeZone)}`;
}

/**
 * The zone beside a time: its UTC offset there and then ("(UTC+08:00)", the form the server's pages use), so nobody
 * reads it as their own zone's time.
 * @param {Date} t
 * @param {string} timeZone
 */
function zoneLabel(t, timeZone) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "shortOffset" })
    .formatToParts(t)
    .find((p) => p.type === "timeZoneName")?.value;
  const m = /^GMT([+-])(\d+)(?::(\d\d))?$/.exec(name ?? "");
  if (!m) return "(UTC+00:00)";
  return `(UTC${m[1]}${m[2].padStart(2, "0")}:${m[3] ?? "00"})`;
}
