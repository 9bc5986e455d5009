// The 随手拍 page's service worker (served at /report-sw.js, scope "/report": no other page is touched): the report
// page, its scripts, the vendored libraries and the places map stay usable without a network. Workbox comes from
// /vendor (npm), never a CDN.
// Reports themselves are queued by the page (IndexedDB, report_queue.js), not here: a POST is never cached.
importScripts("/vendor/workbox-sw/workbox-sw.js");

workbox.setConfig({
  debug: false,
  modulePathCb: (name, debug) => `/vendor/${name}/${name}.${debug ? "dev" : "prod"}.js`,
});

const { registerRoute } = workbox.routing;
const { NetworkFirst, StaleWhileRevalidate } = workbox.strategies;

// the page and the places map: the network when there is one, the last copy otherwise
registerRoute(
  ({ url, request }) =>
    request.method === "GET" && (url.pathname === "/report" || url.pathname === "/report/places.json"),
  new NetworkFirst({ cacheName: "report-pages", networkTimeoutSeconds: 4 }),
);
// the scripts, styles and vendored libraries the page loads
registerRoute(
  ({ url, request }) =>
    request.method === "GET" &&
    (url.pathname.startsWith("/static/") || url.pathname.startsWith("/vendor/") || url.pathname === "/report.webmanifest"),
  new StaleWhileRevalidate({ cacheName: "report-assets" }),
);

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
