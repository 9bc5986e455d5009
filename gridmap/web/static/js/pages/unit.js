// @ts-check
// Starts the page's script (a module file, not an inline script: the content-security policy allows no inline
// script but folium's, which carries the response's nonce).
import { unit } from "../unit.js";

unit();
