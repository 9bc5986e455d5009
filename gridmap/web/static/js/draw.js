// @ts-check
// Drawing a shape on the map (Leaflet.draw, loaded by assign.html as a classic script): a line, a polygon or a
// rectangle; the last one drawn stays shown until the next or until cleared.
import { HIGHLIGHT_COLOR } from "./colors.js";

/**
 * Adds the drawing tools; each shape drawn replaces the previous one and is handed over as GeoJSON geometry.
 * @param {L.Map} map
 * @param {(shape: import("geojson").Geometry) => void} onShape
 * @returns {{clear: () => void}}
 */
export function addDrawing(map, onShape) {
  const drawn = new L.FeatureGroup().addTo(map);
  const shapeOptions = { color: HIGHLIGHT_COLOR };
  map.addControl(
    new L.Control.Draw({
      position: "topleft",
      draw: {
        polyline: { shapeOptions: { ...shapeOptions, weight: 4 } },
        polygon: { allowIntersection: false, showArea: false, shapeOptions },
        rectangle: { shapeOptions },
        circle: false,
        marker: false,
        circlemarker: false,
      },
    }),
  );
  map.on(L.Draw.Event.CREATED, (e) => {
    const layer = /** @type {import("leaflet").DrawEvents.Created} */ (e).layer;
    drawn.clearLayers();
    drawn.addLayer(layer);
    onShape(/** @type {L.Polyline} */ (layer).toGeoJSON().geometry);
  });
  return { clear: () => drawn.clearLayers() };
}
