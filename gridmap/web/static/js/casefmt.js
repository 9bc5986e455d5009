// @ts-check
// What the case pages (我的待办, the case page) show of a case's clock: the traffic light, the time left (or overdue)
// and a deadline in local time with its zone — in the page's language, from the words the template hands over.

/** @typedef {{remaining_seconds: number, light: string, overdue: boolean, frozen: boolean}} Progress */

/**
 * The page's words (the template puts them, as JSON, on an element's data-strings).
 * @param {HTMLElement} root
 * @returns {(key: string, values?: Record<string, string | number>) => string}
 */
export function wordsOf(root) {
  /** @type {Record<string, string>} */
  const words = JSON.parse(root.dataset.strings || "{}");
  return (key, values = {}) =>
    (words[key] ?? key).replace(/\{(\w+)\}/g, (_m, name) => String(values[name] ?? ""));
}

/**
 * A duration as days/hours/minutes ("2 天 3 小时", "45 分钟").
 * @param {number} seconds
 * @param {(key: string) => string} t
 */
export function duration(seconds, t) {
  const s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} ${t("days_u")}${h ? ` ${h} ${t("hours_u")}` : ""}`;
  if (h > 0) return `${h} ${t("hours_u")}${m ? ` ${m} ${t("minutes_u")}` : ""}`;
  return `${m} ${t("minutes_u")}`;
}

/**
 * The time left of a case ("剩余 3 小时", "超时 2 天", "已停止计时"), "–" without a clock.
 * @param {Progress | null | undefined} p
 * @param {(key: string, values?: Record<string, string | number>) => string} t
 */
export function timeLeft(p, t) {
  if (!p) return "–";
  const text = p.remaining_seconds < 0 || p.overdue
    ? t("over_fmt", { t: duration(p.remaining_seconds, t) })
    : t("left_fmt", { t: duration(p.remaining_seconds, t) });
  return p.frozen ? `${text}（${t("frozen")}）` : text;
}

/**
 * The traffic light as an element: a coloured dot with its name (so it is not colour alone).
 * @param {Progress | null | undefined} p
 * @param {(key: string) => string} t
 */
export function lightBadge(p, t) {
  const light = p ? p.light : "none";
  const el = document.createElement("span");
  el.className = `light light-${light}`;
  el.dataset.light = light;
  el.textContent = t(`light_${light}`);
  return el;
}
