// @ts-check
// Starts the unit page (map_unit.html) — an ES module file, not an inline script (CSP).
import { unit } from "../unit.js";

unit();
