// @ts-check
// Tables a person sorts and takes away: a click on a column's header sorts the rows by it (numbers as numbers,
// names in Chinese collation; again: the other way), and a table saved as CSV for Excel — its headers as shown
// (in the page's language), UTF-8 with a BOM.

/**
 * A cell's value to sort by: a number if it reads as one ("12.5%", "3.20"), else its text.
 * @param {Element | undefined} cell
 * @returns {number | string}
 */
function sortValue(cell) {
  const text = (cell?.textContent ?? "").trim();
  const n = Number.parseFloat(text.replace(/[,%\s]/g, ""));
  return /^[-\d.,%\s]+$/.test(text) && Number.isFinite(n) ? n : text;
}

/**
 * Makes the header cells of a table sort its body: rows of class "street" move with the "community" rows after
 * them (a 街道 and its 社区 stay together); other rows (a total) keep their place at the top or bottom.
 * @param {HTMLTableElement} table
 */
export function makeSortable(table) {
  const heads = /** @type {HTMLElement[]} */ ([...table.querySelectorAll("thead th")]);
  heads.forEach((th, col) => {
    if (col === 0 && !th.textContent?.trim()) th.textContent = "⇅";
    th.classList.add("sortable");
    th.setAttribute("role", "button");
    th.tabIndex = 0;
    const go = () => sortBy(table, col, th);
    th.addEventListener("click", go);
    th.addEventListener("keydown", (ev) => {
      if (/** @type {KeyboardEvent} */ (ev).key === "Enter") go();
    });
  });
}

/**
 * @param {HTMLTableElement} table
 * @param {number} col
 * @param {Element} th
 */
function sortBy(table, col, th) {
  const body = table.tBodies[0];
  const desc = th.getAttribute("aria-sort") === "ascending";
  for (const h of table.querySelectorAll("thead th")) h.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", desc ? "descending" : "ascending");
  /** @type {HTMLTableRowElement[][]} */
  const groups = [];
  /** @type {HTMLTableRowElement[]} */
  const top = [];
  /** @type {HTMLTableRowElement[]} */
  const bottom = [];
  for (const tr of [...body.rows]) {
    if (tr.classList.contains("community") && groups.length) groups[groups.length - 1].push(tr);
    else if (tr.classList.contains("street") || !tr.className) groups.push([tr]);
    else (groups.length ? bottom : top).push(tr);
  }
  const coll = new Intl.Collator("zh-CN");
  groups.sort((a, b) => {
    const x = sortValue(a[0].cells[col]);
    const y = sortValue(b[0].cells[col]);
    const c = typeof x === "number" && typeof y === "number" ? x - y : coll.compare(String(x), String(y));
    return desc ? -c : c;
  });
  for (const tr of [...top, ...groups.flat(), ...bottom]) body.appendChild(tr);
}

/**
 * Saves a table as a CSV file (headers as shown, every body row).
 * @param {HTMLTableElement} table
 * @param {string} name
 */
export function exportTableCsv(table, name) {
  const quote = (/** @type {string} */ s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const line = (/** @type {HTMLTableRowElement} */ tr) =>
    [...tr.cells].map((c) => quote((c.textContent ?? "").replace("⇅", "").trim())).join(",");
  const rows = [...table.querySelectorAll("tr")].map((tr) => line(/** @type {HTMLTableRowElement} */ (tr)));
  const blob = new Blob(["\ufeff" + rows.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
