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
