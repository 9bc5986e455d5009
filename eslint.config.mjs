// ESLint for the page scripts (gridmap/web/static/js, ES modules loaded by the browser without a bundler): the
// recommended rules, browser globals and Leaflet's `L` (loaded by folium as a classic script before the modules run).
// `make lint-js` runs it, then the type check (tsconfig.json).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["gridmap/web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, L: "readonly" },
    },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  {
    // the report page's service worker: a classic worker script with Workbox's global
    files: ["gridmap/web/static/report-sw.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.serviceworker, workbox: "readonly" },
    },
  },
  {
    files: ["eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
