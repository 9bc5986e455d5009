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
// Apache ECharts (/vendor/echarts/echarts.min.js), the rankings' trend chart: the little of it the page uses.
declare const echarts: {
  init(el: HTMLElement, theme?: string | null, opts?: { renderer?: "canvas" | "svg" }): {
    setOption(option: Record<string, unknown>): void;
    resize(): void;
  };
};
