// The classic-script globals of the vendored packages the report page loads (/vendor/exifr, /vendor/idb-keyval).
declare const exifr: {
  parse(file: Blob, options?: unknown): Promise<Record<string, unknown> | undefined>;
};
declare const idbKeyval: {
  get<T = unknown>(key: IDBValidKey): Promise<T | undefined>;
  set(key: IDBValidKey, value: unknown): Promise<void>;
  del(key: IDBValidKey): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
};
// protomaps-leaflet's browser bundle (/vendor/protomaps-leaflet/protomaps-leaflet.js): the map's vector tiles
// (the part the map uses, declared here: the package's own types import a MapLibre package it does not install)
declare namespace protomapsL {
  interface Feature {
    readonly props: Record<string, unknown>;
  }
  type Attr<T> = T | ((z: number, f?: Feature) => T);
  interface PaintRule {
    dataLayer: string;
    symbolizer: object;
  }
  class PolygonSymbolizer {
    constructor(options: { fill?: Attr<string>; opacity?: Attr<number>; stroke?: Attr<string>; width?: Attr<number> });
  }
  class CircleSymbolizer {
    constructor(options: { radius?: Attr<number>; fill?: Attr<string>; stroke?: Attr<string>; width?: Attr<number>; opacity?: Attr<number> });
  }
  class LineSymbolizer {
    constructor(options: { color?: Attr<string>; width?: Attr<number>; opacity?: Attr<number>; dash?: number[] });
  }
  interface Layer {
    rerenderTiles(): void;
    queryTileFeaturesDebug(lng: number, lat: number, brushSize?: number): Map<string, { feature: Feature; layerName: string }[]>;
  }
  function leafletLayer(options: {
    url: string;
    paintRules: PaintRule[];
    labelRules: object[];
    maxDataZoom?: number;
    levelDiff?: number;
    minZoom?: number;
    pane?: string;
    attribution?: string;
  }): Layer;
}
// Apache ECharts (/vendor/echarts/echarts.min.js), the rankings' trend chart: the little of it the page uses.
declare const echarts: {
  init(el: HTMLElement, theme?: string | null, opts?: { renderer?: "canvas" | "svg" }): {
    setOption(option: Record<string, unknown>): void;
    resize(): void;
  };
};
