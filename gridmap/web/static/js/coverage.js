// @ts-check
// Page entry point of the coverage map (/map, map_coverage.html): every layer (cases switched off at start; the
// components 部件 drawn from street level), the day
// shown (?at= in the address), colouring by responsibility state or by unit, the search box.
import { readConfig } from "./config.js";
import { GridMap } from "./map.js";
import { AREA_LAYERS, COMPONENT_LAYER, targetLayers } from "./look.js";
import { byId } from "./dom.js";
import { setupSearch } from "./search.js";

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function coverage(cfg = readConfig()) {
  // The cases are a layer to switch on here (the heatmap page is theirs): the first view stays light.
  const gm = new GridMap(cfg, {
    visible: [...AREA_LAYERS, ...targetLayers(cfg.kinds), COMPONENT_LAYER], // components: from street level on
    fitBounds: cfg.fitBounds,
    tiles: true,
  });
  const date = byId("map-date", HTMLInputElement);
  date.addEventListener("change", () => {
    const day = date.value || null;
    const url = new URL(window.location.href);
    if (day) url.searchParams.set("at", day);
    else url.searchParams.delete("at");
    history.replaceState(null, "", url.toString());
    gm.setAt(day);
  });
  for (const el of document.querySelectorAll("input[name=color-mode]")) {
    if (!(el instanceof HTMLInputElement)) continue;
    el.addEventListener("change", () => {
      if (el.checked) gm.setColorMode(el.value);
    });
  }
  setupSearch(gm);
  return gm;
}
