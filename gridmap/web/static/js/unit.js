// @ts-check
// Page entry point of a unit's page (/units/<id>, map_unit.html): only what the unit is responsible for, and its
// cases, framed on the map.
import { readConfig } from "./config.js";
import { CASE_LAYER, GridMap } from "./map.js";
import { targetLayers } from "./look.js";

/**
 * @param {import("./config.js").MapConfig} [cfg]
 * @returns {GridMap}
 */
export function unit(cfg = readConfig()) {
  return new GridMap(cfg, {
    layers: ["communities", ...targetLayers(cfg.kinds), CASE_LAYER],
    filter: cfg.unitId != null ? { unit_id: cfg.unitId } : {},
    fitBounds: cfg.fitBounds,
  });
}
