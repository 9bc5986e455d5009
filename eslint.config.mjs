// ESLint for the page scripts (gridmap/web/static/js): the recommended rules, browser globals and Leaflet's `L`
// (loaded by folium as a classic script before the modules run). `make lint-js` runs it with the type check.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["gridmap/web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser, L: "readonly" },
    },
  },
  {
    files: ["eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
