// @ts-check
// Starts the coverage page (map_coverage.html) — an ES module file, not an inline script (CSP).
import { coverage } from "../coverage.js";

coverage();
