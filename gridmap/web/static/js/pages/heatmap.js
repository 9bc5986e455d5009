// @ts-check
// Starts the heatmap page (heatmap.html) — an ES module file, not an inline script (CSP).
import { heatmap } from "../heatmap.js";

heatmap();
