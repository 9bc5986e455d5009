// @ts-check
// Page entry point of a unit's page (/units/<id>, map_unit.html): only what the unit is responsible for, and its
// cases, framed on the map.
import { readConfig } from "./config.js";
import { CASE_LAYER, COMMUNITIES, targetLayers } from "./look.js";
import { GridMap } from "./map.js";

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function unit(cfg = readConfig()) {
  return new GridMap(cfg, {
    layers: [COMMUNITIES, ...targetLayers(cfg.kinds), CASE_LAYER],
    filter: cfg.unitId != null ? { unit_id: cfg.unitId } : {},
    fitBounds: cfg.fitBounds,
  });
}
