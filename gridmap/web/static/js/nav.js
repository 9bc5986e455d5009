// @ts-check
// Every page (base.html): on a phone the top menu folds behind a "菜单" button, and a map page's side panel is a
// drawer over the map opened by its "面板" button. Desktop widths show both as they are (CSS decides; this only
// toggles the classes and aria-expanded).

/**
 * A button that opens and closes a target by a class on it.
 * @param {HTMLElement} button
 * @param {HTMLElement} target
 * @param {string} cls
 */
function toggler(button, target, cls) {
  /** @param {boolean} open */
  const set = (open) => {
    target.classList.toggle(cls, open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => set(!target.classList.contains(cls)));
  return set;
}

const menuButton = document.getElementById("menu-toggle");
const header = document.querySelector("header.topbar");
if (menuButton && header instanceof HTMLElement) {
  const setMenu = toggler(menuButton, header, "menu-open");
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") setMenu(false);
  });
}

// The menu's groups (地图, 包联...): a click opens one and closes the others; a click elsewhere or Escape closes them.
// Pointer hover opens them by CSS alone.
const groups = Array.from(document.querySelectorAll(".navgroup"));
/** @param {Element | null} keep */
const closeGroups = (keep) => {
  for (const g of groups) {
    if (g === keep) continue;
    g.classList.remove("open");
    g.querySelector(".navgroup-toggle")?.setAttribute("aria-expanded", "false");
  }
};
for (const g of groups) {
  const button = g.querySelector(".navgroup-toggle");
  button?.addEventListener("click", (ev) => {
    ev.stopPropagation();
    const open = !g.classList.contains("open");
    closeGroups(g);
    g.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  });
}
document.addEventListener("click", () => closeGroups(null));
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") closeGroups(null);
});

const panelButton = document.getElementById("panel-toggle");
const side = document.getElementById("map-side");
if (panelButton && side) {
  const setPanel = toggler(panelButton, side, "drawer-open");
  document.getElementById("panel-close")?.addEventListener("click", () => setPanel(false));
  // A search hit or a drawn selection shows its result in the panel: open the drawer to show it.
  side.addEventListener("gridmap:show", () => setPanel(true));
}
