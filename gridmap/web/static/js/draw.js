// @ts-check
// Drawing a shape on the map (Leaflet.draw, loaded by assign.html as a classic script): a line, a polygon or a
// rectangle; the last one drawn stays shown until the next or until cleared.
import { HIGHLIGHT_COLOR } from "./colors.js";

/**
 * Leaflet.draw's toolbar and tooltips in Chinese (its own strings are English only; L.drawLocal is where a page
 * puts its language, before the control is made).
 */
function chineseDrawStrings() {
  const d = /** @type {any} */ (L).drawLocal;
  if (!d) return;
  Object.assign(d.draw.toolbar.actions, { title: "取消绘制", text: "取消" });
  Object.assign(d.draw.toolbar.finish, { title: "完成绘制", text: "完成" });
  Object.assign(d.draw.toolbar.undo, { title: "删除最后一个点", text: "删除最后一点" });
  Object.assign(d.draw.toolbar.buttons, {
    polyline: "画线（圈选沿线路段）",
    polygon: "画多边形",
    rectangle: "画矩形",
    circle: "画圆",
    marker: "标点",
    circlemarker: "标圆点",
  });
  d.draw.handlers.polyline.tooltip = { start: "单击开始画线", cont: "单击继续画线", end: "单击最后一点结束画线" };
  d.draw.handlers.polyline.error = "<strong>错误：</strong>边线不能交叉！";
  d.draw.handlers.polygon.tooltip = { start: "单击开始画多边形", cont: "单击继续画", end: "单击第一个点闭合多边形" };
  d.draw.handlers.rectangle.tooltip = { start: "按住并拖动画矩形" };
  d.draw.handlers.simpleshape.tooltip = { end: "松开鼠标完成" };
  Object.assign(d.edit.toolbar.actions.save, { title: "保存修改", text: "保存" });
  Object.assign(d.edit.toolbar.actions.cancel, { title: "取消编辑", text: "取消" });
  Object.assign(d.edit.toolbar.actions.clearAll, { title: "清除全部", text: "清除全部" });
  Object.assign(d.edit.toolbar.buttons, {
    edit: "编辑图形",
    editDisabled: "没有可编辑的图形",
    remove: "删除图形",
    removeDisabled: "没有可删除的图形",
  });
}

/**
 * Adds the drawing tools; each shape drawn replaces the previous one and is handed over as GeoJSON geometry.
 * @param {L.Map} map
 * @param {(shape: import("geojson").Geometry) => void} onShape
 * @param {string} [lang]  "zh_CN" (default): the toolbar in Chinese
 * @returns {{clear: () => void}}
 */
export function addDrawing(map, onShape, lang = "zh_CN") {
  if (lang !== "en") chineseDrawStrings();
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
