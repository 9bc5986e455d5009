// @ts-check
// Starts the gaps page (gaps.html) — an ES module file, not an inline script (CSP).
import { gaps } from "../gaps.js";

gaps();
