/* gridmap map script: layers fetched from /ogc by bounding box and zoom, drawn with Leaflet's canvas renderer.
 *
 * The page (built by folium) defines the L.Map in a global variable named by cfg.mapName. GridMap.create(cfg, opts)
 * adds the layers, popups, layer control and legend, and returns a controller (also window.gridmap):
 *
 *   gm.map                  the L.Map
 *   gm.layers[id]           the L.GeoJSON of each collection (segments, compounds, grids, communities, streets, cases)
 *   gm.reload(force)        re-fetch visible layers for the current view (force: even if the view is already loaded)
 *   gm.setAt('YYYY-MM-DD')  show the map as of a day (null: today) — re-fetches with ?at=
 *   gm.setColorMode('state'|'unit')
 *   gm.on(name, fn)         events: 'loaded' (after each fetch round), 'featureclick' ({feature, collection, event})
 *   gm.styleFor(collection, feature)  the style used (pages may wrap it via opts.style)
 *   gm.highlight(collection, ids)     outline features (ids array; [] clears)
 *
 * opts: {layers: [...ids], visible: [...ids], filter: {unit_id: n}, onFeatureClick(info) → true to skip the popup,
 *        style(collection, feature, base) → style}
 * window.gridmapReady becomes true once the first layers are drawn; window.gridmapBusy counts requests in flight.
 */
(function () {
  "use strict";

  var STATE_COLORS = { assigned: "#2e7d32", ending: "#f59f00", unassigned: "#d7263d" };
  var KIND_OF = { segments: "segment", compounds: "compound", grids: "grid" };
  var PAGE_LIMIT = 5000;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function unitColor(id) {
    if (id == null) return STATE_COLORS.unassigned;
    var h = (id * 137.508) % 360;
    return "hsl(" + h.toFixed(0) + ",70%," + (id % 2 ? 38 : 48) + "%)";
  }

  function withLang(url, cfg) {
    return cfg.lang === "en" ? url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=en" : url;
  }

  function create(cfg, opts) {
    opts = opts || {};
    var S = cfg.strings || {};
    var map = window[cfg.mapName];
    var renderer = L.canvas({ padding: 0.1, tolerance: 5 });
    var listeners = {};
    var gm = {
      map: map,
      cfg: cfg,
      layers: {},
      at: cfg.at || null,
      colorMode: "state",
      filter: opts.filter || {},
      strings: S,
      STATE_COLORS: STATE_COLORS,
      unitColor: unitColor,
      highlighted: {},
      timings: {}, // per layer: when fetched, fetch and draw milliseconds (the benchmark prints them)
    };
    window.gridmapReady = false;
    window.gridmapBusy = 0;

    gm.on = function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
    };
    function emit(name, data) {
      (listeners[name] || []).forEach(function (fn) {
        fn(data);
      });
    }

    var DEFS = {
      streets: { label: S.streets, pane: "gm-areas", boundary: true, weight: 3, color: "#5c3c92", extra: { properties: "code,name" } },
      communities: {
        label: S.communities, pane: "gm-areas", boundary: true, weight: 1.5, color: "#8e6cc0", dash: "4 3",
        extra: { properties: "code,name" },
      },
      grids: { label: S.grids, pane: "gm-grids", minZoom: 12, extra: { properties: "code" } },
      compounds: { label: S.compounds, pane: "gm-compounds", extra: { properties: "name" } },
      segments: { label: S.segments, pane: "gm-segments", line: true, extra: { properties: "name,level" } },
      cases: { label: S.cases, pane: "gm-cases", point: true, extra: { status: "active" } },
    };
    ["gm-areas", "gm-grids", "gm-compounds", "gm-segments", "gm-cases"].forEach(function (p, i) {
      map.createPane(p).style.zIndex = 400 + i * 10;
    });
    var ids = opts.layers || ["streets", "communities", "grids", "compounds", "segments", "cases"];
    var visible = opts.visible || ids;

    function baseStyle(cid, f) {
      var d = DEFS[cid];
      var p = f.properties || {};
      if (d.boundary) return { color: d.color, weight: d.weight, fill: false, dashArray: d.dash || null };
      var color =
        gm.colorMode === "unit" ? unitColor(p.unit_id) : STATE_COLORS[p.responsibility || "assigned"] || "#555";
      if (d.line) return { color: color, weight: 3, opacity: 0.9 };
      if (cid === "grids") return { color: color, weight: 0.8, opacity: 0.7, fillColor: color, fillOpacity: 0.12 };
      return { color: color, weight: 1.2, fillColor: color, fillOpacity: 0.35 };
    }
    gm.styleFor = function (cid, f) {
      var st = baseStyle(cid, f);
      if (opts.style) st = opts.style(cid, f, st) || st;
      var hl = gm.highlighted[cid];
      if (hl && hl[f.id]) st = Object.assign({}, st, { color: "#00b4ff", weight: (st.weight || 1) + 3, opacity: 1 });
      return st;
    };

    ids.forEach(function (cid) {
      var d = DEFS[cid];
      var layer = L.geoJSON(null, {
        renderer: renderer,
        pane: d.pane,
        interactive: !d.boundary || cid === "communities" || cid === "streets",
        style: function (f) {
          return gm.styleFor(cid, f);
        },
        pointToLayer: function (f, latlng) {
          var p = f.properties || {};
          return L.circleMarker(latlng, {
            renderer: renderer,
            pane: d.pane,
            radius: 5,
            color: "#fff",
            weight: 1,
            fillColor: p.overdue ? "#d7263d" : "#1565c0",
            fillOpacity: 0.9,
          });
        },
        onEachFeature: function (f, lyr) {
          lyr.on("click", function (e) {
            L.DomEvent.stopPropagation(e);
            onClick(cid, f, e);
          });
        },
      });
      layer._gm = { id: cid, loaded: null, ctrl: null };
      gm.layers[cid] = layer;
      if (visible.indexOf(cid) >= 0) layer.addTo(map);
    });

    var overlays = {};
    ids.forEach(function (cid) {
      overlays[DEFS[cid].label] = gm.layers[cid];
    });
    gm.layerControl = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
    map.on("overlayadd", function (e) {
      if (e.layer && e.layer._gm) loadLayer(e.layer._gm.id, false).then(done);
    });

    // -- fetching -------------------------------------------------------------------------------------------------
    function viewBox() {
      var b = map.getBounds().pad(0.2);
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v, i) {
        v = Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v));
        return +v.toFixed(6);
      });
    }
    function contains(outer, inner) {
      return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
    }
    function itemsUrl(cid, bbox, zoom) {
      var params = new URLSearchParams({ bbox: bbox.join(","), zoom: String(zoom), limit: String(PAGE_LIMIT) });
      if (gm.at) params.set("at", gm.at);
      var extra = Object.assign({}, DEFS[cid].extra || {}, DEFS[cid].boundary ? {} : gm.filter);
      Object.keys(extra).forEach(function (k) {
        if (extra[k] != null) params.set(k, extra[k]);
      });
      return cfg.ogc + "/collections/" + cid + "/items?" + params.toString();
    }
    async function fetchAll(url, signal) {
      var feats = [];
      while (url) {
        window.gridmapBusy++;
        try {
          var r = await fetch(url, { signal: signal, headers: { Accept: "application/geo+json" } });
          if (!r.ok) {
            var err = await r.json().catch(function () {
              return {};
            });
            throw new Error(err.error || "HTTP " + r.status);
          }
          var fc = await r.json();
          feats = feats.concat(fc.features);
          var next = (fc.links || []).filter(function (l) {
            return l.rel === "next";
          })[0];
          url = next ? next.href : null;
        } finally {
          window.gridmapBusy--;
        }
      }
      return feats;
    }
    async function loadLayer(cid, force) {
      var layer = gm.layers[cid];
      var st = layer._gm;
      var d = DEFS[cid];
      if (!map.hasLayer(layer)) return;
      var zoom = map.getZoom();
      if (d.minZoom && zoom < d.minZoom) {
        layer.clearLayers();
        st.loaded = null;
        return;
      }
      var view = viewBox();
      var key = String(gm.at) + "|" + JSON.stringify(gm.filter);
      if (!force && st.loaded && st.loaded.key === key && st.loaded.zoom >= zoom && contains(st.loaded.bbox, view)) {
        if (st.loaded.zoom - zoom < 2) return; // already drawn, detailed enough and not too detailed
      }
      var p = st.pending;
      if (!force && p && p.key === key && p.zoom >= zoom && p.zoom - zoom < 2 && contains(p.bbox, view)) {
        return p.promise; // the request under way already covers this view
      }
      if (st.ctrl) st.ctrl.abort();
      var ctrl = (st.ctrl = new AbortController());
      var pending = { bbox: view, zoom: zoom, key: key };
      pending.promise = (async function () {
        try {
          var t0 = performance.now();
          var feats = await fetchAll(itemsUrl(cid, view, Math.round(zoom)), ctrl.signal);
          var t1 = performance.now();
          layer.clearLayers();
          layer.addData(feats);
          gm.timings[cid] = { fetched: Math.round(t1), fetch_ms: Math.round(t1 - t0), draw_ms: Math.round(performance.now() - t1), n: feats.length };
          st.loaded = { bbox: view, zoom: zoom, key: key };
          st.features = feats;
        } catch (e) {
          if (e.name !== "AbortError") status(e.message, true);
        } finally {
          if (st.pending === pending) st.pending = null;
        }
      })();
      st.pending = pending;
      return pending.promise;
    }
    function done() {
      updateLegend();
      emit("loaded", gm);
    }
    gm.reload = async function (force) {
      status(S.loading);
      await Promise.all(
        ids.map(function (cid) {
          return loadLayer(cid, force);
        })
      );
      // A newer view may have superseded some requests meanwhile: wait until every layer has what it asked for.
      for (var round = 0; round < 10; round++) {
        var pend = ids
          .map(function (cid) {
            return gm.layers[cid]._gm.pending;
          })
          .filter(Boolean);
        if (!pend.length) break;
        await Promise.all(
          pend.map(function (p) {
            return p.promise;
          })
        );
      }
      if (!statusEl || !/error/.test(statusEl.className)) status("");
      done();
      if (!window.gridmapReady) {
        window.gridmapReady = true;
        window.dispatchEvent(new CustomEvent("gridmap:ready"));
      }
    };
    var timer = null;
    map.on("moveend", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        gm.reload(false);
      }, 150);
    });

    gm.setAt = function (day) {
      gm.at = day || null;
      return gm.reload(true);
    };
    gm.restyle = function () {
      ids.forEach(function (cid) {
        gm.layers[cid].setStyle(function (f) {
          return gm.styleFor(cid, f);
        });
      });
      updateLegend();
    };
    gm.setColorMode = function (mode) {
      gm.colorMode = mode === "unit" ? "unit" : "state";
      gm.restyle();
    };
    gm.highlight = function (cid, idList) {
      var set = {};
      (idList || []).forEach(function (i) {
        set[i] = true;
      });
      gm.highlighted[cid] = set;
      gm.restyle();
    };

    // -- status line and legend -----------------------------------------------------------------------------------
    var statusEl = document.getElementById("map-status");
    function status(msg, isError) {
      if (!statusEl) return;
      statusEl.textContent = msg || "";
      statusEl.className = isError ? "map-status error" : "map-status";
    }
    gm.status = status;
    var legendEl = document.getElementById("legend");
    function updateLegend() {
      if (!legendEl) return;
      var counts = {};
      var units = {};
      ["segments", "compounds", "grids"].forEach(function (cid) {
        var layer = gm.layers[cid];
        if (!layer || !map.hasLayer(layer)) return;
        layer.eachLayer(function (l) {
          var p = l.feature.properties;
          counts[p.responsibility] = (counts[p.responsibility] || 0) + 1;
          if (p.unit_id != null) {
            var u = (units[p.unit_id] = units[p.unit_id] || { id: p.unit_id, name: p.unit_name, n: 0 });
            u.n++;
          }
        });
      });
      var rows = [];
      if (gm.colorMode === "state") {
        ["assigned", "ending", "unassigned"].forEach(function (k) {
          rows.push(swatch(STATE_COLORS[k], S[k + "_state"], counts[k] || 0, k));
        });
      } else {
        var list = Object.keys(units)
          .map(function (k) {
            return units[k];
          })
          .sort(function (a, b) {
            return b.n - a.n;
          });
        list.slice(0, 15).forEach(function (u) {
          rows.push(swatch(unitColor(u.id), u.name, u.n, "unit-" + u.id));
        });
        if (list.length > 15) {
          var rest = list.slice(15).reduce(function (s, u) {
            return s + u.n;
          }, 0);
          rows.push('<li class="legend-more">' + esc(S.other_units) + " (" + (list.length - 15) + "): " + rest + "</li>");
        }
        rows.push(swatch(STATE_COLORS.unassigned, S.unassigned_state, counts.unassigned || 0, "unassigned"));
      }
      legendEl.innerHTML = '<ul class="legend-list" data-mode="' + gm.colorMode + '">' + rows.join("") + "</ul>";
    }
    function swatch(color, label, n, key) {
      return (
        '<li data-key="' + esc(key) + '"><span class="swatch" style="background:' + color + '"></span>' +
        esc(label) + ' <span class="n">' + n + "</span></li>"
      );
    }

    // -- popups -----------------------------------------------------------------------------------------------------
    function onClick(cid, f, e) {
      var info = { feature: f, collection: cid, kind: KIND_OF[cid] || null, event: e };
      emit("featureclick", info);
      if (opts.onFeatureClick && opts.onFeatureClick(info) === true) return;
      var popup = L.popup({ maxWidth: 360, minWidth: 240 }).setLatLng(e.latlng).setContent(esc(S.loading)).openOn(map);
      popupHtml(cid, f).then(function (html) {
        popup.setContent(html);
      });
    }
    gm.openPopup = function (cid, id, latlng) {
      var layer = gm.layers[cid];
      var hit = null;
      layer.eachLayer(function (l) {
        if (l.feature.id === id) hit = l;
      });
      var f = hit ? hit.feature : { id: id, properties: {} };
      var where = latlng || (hit && (hit.getBounds ? hit.getBounds().getCenter() : hit.getLatLng()));
      if (!where) return;
      onClick(cid, f, { latlng: where });
    };
    async function popupHtml(cid, f) {
      var p = f.properties || {};
      var kind = KIND_OF[cid];
      if (!kind) {
        if (cid === "cases") {
          return (
            '<div class="gm-popup"><h3>' + esc(S.cases) + " #" + esc(f.id) + "</h3><p>" + esc(p.category_name || p.category) +
            " · " + esc(p.status) + "</p><p>" + esc(S.deadline) + ": " + esc(p.deadline || "–") + "</p><p>" +
            esc(S.responsible_unit) + ": " + unitLink(p.unit_id, p.unit_name) + "</p></div>"
          );
        }
        return (
          '<div class="gm-popup"><h3>' + esc(p.name) + "</h3><p>" + esc(p.code) + "</p><p>" + esc(S.responsible_unit) +
          ": " + unitLink(p.unit_id, p.unit_name) + "</p></div>"
        );
      }
      var url = cfg.api + "/features/" + kind + "/" + f.id + (gm.at ? "?at=" + gm.at : "");
      var r = await fetch(url);
      var d = await r.json();
      if (!r.ok) return '<p class="error">' + esc(d.error) + "</p>";
      var h = ['<div class="gm-popup" data-kind="' + kind + '" data-id="' + d.id + '">'];
      h.push("<h3>" + esc(S[kind]) + " · " + esc(d.name || "#" + d.id) + "</h3>");
      var resp = d.responsible;
      h.push(
        '<p class="resp resp-' + d.responsibility + '"><span class="swatch" style="background:' +
          STATE_COLORS[d.responsibility] + '"></span>' + esc(S.responsible_unit) + ": " +
          (resp ? unitLink(resp.unit.id, resp.unit.name) : esc(S.none_responsible)) +
          (resp && resp.valid_to ? " (" + esc(S.valid_until) + " " + esc(resp.valid_to) + ")" : "") + "</p>"
      );
      h.push('<table class="roles">');
      d.roles.forEach(function (r) {
        var names = r.people.length
          ? r.people.map(function (p) {
              return esc(p.name) + (p.phone ? ' <span class="phone">' + esc(p.phone) + "</span>" : "");
            }).join("、")
          : '<span class="muted">' + esc(S.nobody) + "</span>";
        h.push("<tr><th>" + esc(cfg.lang === "en" ? r.role.replace(/_/g, " ") : r.role_zh) + "</th><td>" + names + "</td></tr>");
      });
      h.push("</table>");
      h.push("<h4>" + esc(S.open_cases) + " (" + d.open_cases.length + ")</h4>");
      if (d.open_cases.length) {
        h.push('<ul class="cases">');
        d.open_cases.forEach(function (c) {
          var when = c.deadline ? String(c.deadline).slice(0, 16).replace("T", " ") : "–";
          h.push("<li>#" + c.id + " " + esc(c.category_name || c.category) + " · " + esc(S.deadline) + " " + esc(when) + "</li>");
        });
        h.push("</ul>");
      }
      h.push('<p><a class="history-link" href="' + withLang(d.history_page, cfg) + '" target="_blank">' + esc(S.history) + "</a></p>");
      h.push("</div>");
      return h.join("");
    }
    function unitLink(id, name) {
      if (id == null) return '<span class="muted">' + esc(S.none_responsible) + "</span>";
      return '<a class="unit-link" href="' + withLang("/units/" + id, cfg) + '">' + esc(name) + "</a>";
    }

    // -- start --------------------------------------------------------------------------------------------------------
    if (opts.fitBounds) {
      var b = opts.fitBounds;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [20, 20], maxZoom: 17, animate: false });
    }
    window.gridmap = gm;
    gm.reload(true);
    return gm;
  }

  // The coverage map page: date picker, colouring switch, search box.
  function coverage(cfg) {
    // Cases are a layer to switch on here (the heatmap page is theirs): the first view stays light.
    var gm = create(cfg, {
      visible: ["streets", "communities", "grids", "compounds", "segments"],
      fitBounds: cfg.fitBounds,
    });
    var S = cfg.strings;
    var date = document.getElementById("map-date");
    if (date) {
      date.addEventListener("change", function () {
        var v = date.value || null;
        var url = new URL(window.location.href);
        if (v) url.searchParams.set("at", v);
        else url.searchParams.delete("at");
        history.replaceState(null, "", url.toString());
        gm.setAt(v);
      });
    }
    document.querySelectorAll("input[name=color-mode]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (el.checked) gm.setColorMode(el.value);
      });
    });
    var form = document.getElementById("search-form");
    var box = document.getElementById("search-box");
    var out = document.getElementById("search-results");
    var zoomLayer = null;
    var zoomToken = 0; // only the latest search hit opens its popup
    var pendingMoveEnd = null;
    function zoomTo(hit) {
      if (!hit.bbox) return;
      var b = hit.bbox;
      var bounds = L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]);
      if (zoomLayer) gm.map.removeLayer(zoomLayer);
      zoomLayer = L.rectangle(bounds.pad(0.05), { color: "#00b4ff", weight: 2, fill: false, dashArray: "6 4", interactive: false }).addTo(gm.map);
      if (pendingMoveEnd) gm.map.off("moveend", pendingMoveEnd);
      pendingMoveEnd = null;
      var token = ++zoomToken;
      var cid = { compound: "compounds", grid: "grids" }[hit.kind];
      if (cid) {
        pendingMoveEnd = function () {
          pendingMoveEnd = null;
          setTimeout(function () {
            var wait = function () {
              if (token !== zoomToken) return;
              if (window.gridmapBusy > 0) return setTimeout(wait, 100);
              gm.openPopup(cid, hit.id);
            };
            wait();
          }, 250);
        };
        gm.map.once("moveend", pendingMoveEnd);
      }
      gm.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
    }
    if (form) {
      form.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        var q = box.value.trim();
        if (!q) return;
        var r = await fetch(cfg.api + "/search?q=" + encodeURIComponent(q) + (gm.at ? "&at=" + gm.at : ""));
        var d = await r.json();
        out.innerHTML = "";
        if (!r.ok) {
          out.innerHTML = '<li class="error">' + esc(d.error) + "</li>";
          return;
        }
        if (!d.results.length) {
          out.innerHTML = '<li class="muted">' + esc(S.search_none) + "</li>";
          return;
        }
        d.results.forEach(function (hit) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "#";
          a.className = "search-hit";
          a.dataset.kind = hit.kind;
          a.textContent = (S[hit.kind] || hit.kind) + " · " + hit.label;
          a.addEventListener("click", function (e) {
            e.preventDefault();
            zoomTo(hit);
          });
          li.appendChild(a);
          if (hit.kind === "unit") {
            var u = document.createElement("a");
            u.href = withLang(hit.url, cfg);
            u.className = "unit-page-link";
            u.textContent = " ↗ " + S.unit_page;
            li.appendChild(u);
          }
          out.appendChild(li);
        });
        if (d.results.length === 1) zoomTo(d.results[0]);
      });
    }
    return gm;
  }

  // A unit's page: only what the unit is responsible for (and its cases).
  function unit(cfg) {
    return create(cfg, {
      layers: ["communities", "grids", "compounds", "segments", "cases"],
      filter: { unit_id: cfg.unitId },
      fitBounds: cfg.fitBounds,
    });
  }

  window.GridMap = { create: create, coverage: coverage, unit: unit, esc: esc, unitColor: unitColor, STATE_COLORS: STATE_COLORS };
})();
