// @ts-check
// Starts the assign page (/assign, assign.html) — an ES module file, not an inline script (CSP).
import { assign } from "../assign.js";

assign();
