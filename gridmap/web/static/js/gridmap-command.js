/* The commander's pages on top of GridMap (gridmap-map.js): assign by drawing, gaps, problem heatmap.
 *
 *   GridMapCommand.assign(cfg)   draw (Leaflet.draw) or click → POST /api/v1/assignments/preview → pick unit, role,
 *                                dates → POST /api/v1/assignments (with the assignment ids seen: a stale view is a 409)
 *   GridMapCommand.gaps(cfg)     /api/v1/gaps?format=geojson → highlighted layer + table
 *   GridMapCommand.heatmap(cfg)  /api/v1/heat?mode=points|grids|segments with the filters → heat layer or choropleth
 *
 * Every server message (4xx) is shown in the page; window.commandBusy counts requests in flight (for tests).
 */
(function () {
  "use strict";

  var CID = { segment: "segments", compound: "compounds", grid: "grids" };
  var esc = function (s) {
    return window.GridMap.esc(s);
  };
  window.commandBusy = 0;

  function fmt(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_m, k) {
      return values[k] != null ? values[k] : "";
    });
  }

  async function api(method, url, body) {
    window.commandBusy++;
    try {
      var r = await fetch(url, {
        method: method,
        headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      var data = await r.json().catch(function () {
        return {};
      });
      if (!r.ok) {
        var err = new Error(data.error || "HTTP " + r.status);
        err.status = r.status;
        err.details = data.details || [];
        throw err;
      }
      return data;
    } finally {
      window.commandBusy--;
    }
  }

  function message(el, text, kind) {
    el.textContent = text || "";
    el.className = "msg" + (kind ? " " + kind : "");
  }

  function errorText(err) {
    var d = (err.details || []).filter(function (x) {
      return x && err.message.indexOf(x) < 0;
    });
    return err.message + (d.length ? "\n" + d.join("\n") : "");
  }

  // -- assign by drawing --------------------------------------------------------------------------------------------

  function assign(cfg) {
    var S = cfg.pageStrings || {};
    var msg = document.getElementById("assign-msg");
    var sel = { features: [], shape: null, single: null };
    var gm = window.GridMap.create(cfg, {
      layers: ["streets", "communities", "grids", "compounds", "segments"],
      onFeatureClick: function (info) {
        if (!info.kind) return false;
        selectOne(info.kind, info.feature);
        return true;
      },
    });
    var drawn = new L.FeatureGroup().addTo(gm.map);
    var drawControl = new L.Control.Draw({
      position: "topleft",
      draw: {
        polyline: { shapeOptions: { color: "#00b4ff", weight: 4 } },
        polygon: { allowIntersection: false, showArea: false, shapeOptions: { color: "#00b4ff" } },
        rectangle: { shapeOptions: { color: "#00b4ff" } },
        circle: false,
        marker: false,
        circlemarker: false,
      },
      edit: false,
    });
    gm.map.addControl(drawControl);
    gm.map.on(L.Draw.Event.CREATED, function (e) {
      drawn.clearLayers();
      drawn.addLayer(e.layer);
      sel.shape = e.layer.toGeoJSON().geometry;
      sel.single = null;
      preview();
    });

    function kinds() {
      return Array.prototype.map.call(document.querySelectorAll("#catch-kinds input[name=kind]:checked"), function (el) {
        return el.value;
      });
    }

    async function preview() {
      if (!sel.shape) return;
      message(msg, S.loading);
      try {
        var body = { shape: sel.shape, kinds: kinds(), buffer_m: document.getElementById("buffer-m").value };
        var data = await api("POST", cfg.api + "/assignments/preview", body);
        show(data.features, data.totals, data.owners);
        message(msg, "");
      } catch (err) {
        show([], {}, []);
        message(msg, errorText(err), "error");
      }
    }

    async function selectOne(kind, f) {
      drawn.clearLayers();
      sel.shape = null;
      sel.single = { kind: kind, feature: f };
      message(msg, S.loading);
      try {
        var h = await api("GET", cfg.api + "/features/" + kind + "/" + f.id + "/history");
        var open = (h.assignments || []).filter(function (a) {
          return a.role === "responsible" && !a.valid_to;
        })[0];
        var feature = {
          kind: kind,
          id: f.id,
          name: h.name || (f.properties || {}).name || (f.properties || {}).code,
          current: open
            ? { assignment_id: open.id, unit_id: open.unit && open.unit.id, unit_name: open.unit && open.unit.name, valid_from: open.valid_from }
            : null,
        };
        var totals = {};
        totals[kind] = { count: 1, owned: open ? 1 : 0, free: open ? 0 : 1 };
        show([feature], totals, open ? [{ unit_id: feature.current.unit_id, unit_name: feature.current.unit_name, count: 1 }] : [], h);
        message(msg, "");
      } catch (err) {
        message(msg, errorText(err), "error");
      }
    }

    function show(features, totals, owners, history) {
      sel.features = features;
      var section = document.getElementById("selection");
      section.hidden = !features.length;
      document.getElementById("sel-count").textContent = features.length ? "(" + features.length + ")" : "";
      ["segment", "compound", "grid"].forEach(function (k) {
        gm.highlight(
          CID[k],
          features
            .filter(function (f) {
              return f.kind === k;
            })
            .map(function (f) {
              return f.id;
            })
        );
      });
      var tl = document.getElementById("sel-totals");
      tl.innerHTML = Object.keys(totals)
        .map(function (k) {
          var t = totals[k];
          return (
            '<li data-kind="' + k + '">' + esc(S[k]) + ": <b>" + t.count + "</b> · " + esc(S.caught_free) + " " +
            t.free + " · " + esc(S.caught_owned) + " " + t.owned + "</li>"
          );
        })
        .join("");
      var unitId = +document.getElementById("unit").value || null;
      var others = owners.filter(function (o) {
        return o.unit_id !== unitId;
      });
      document.getElementById("sel-owners").innerHTML = others.length
        ? "<h3>" + esc(S.held_by_others) + "</h3><ul class='legend-list'>" +
          others
            .map(function (o) {
              return '<li><span class="swatch" style="background:' + gm.unitColor(o.unit_id) + '"></span>' +
                esc(o.unit_name) + ' <span class="n">' + o.count + "</span></li>";
            })
            .join("") + "</ul>"
        : "";
      var rows = features.slice(0, 300).map(function (f) {
        var cur = f.current;
        var owner = cur ? esc(cur.unit_name || "") + ' <span class="muted">' + esc(cur.valid_from) + "</span>" : '<span class="gap">' + esc(S.nobody) + "</span>";
        var end = cur ? ' <button type="button" class="end-btn link" data-id="' + cur.assignment_id + '">' + esc(S.end_assignment) + "</button>" : "";
        return '<tr data-kind="' + f.kind + '" data-id="' + f.id + '" class="' + (cur ? "owned" : "free") + '"><td>' + esc(S[f.kind]) +
          "</td><td>" + esc(f.name) + "</td><td>" + owner + end + "</td></tr>";
      });
      if (features.length > 300) rows.push("<tr><td colspan=3>… " + (features.length - 300) + "</td></tr>");
      if (history && history.assignments && history.assignments.length) {
        rows.push('<tr><th colspan=3>' + esc(S.history) + "</th></tr>");
        history.assignments
          .filter(function (a) {
            return a.role === "responsible";
          })
          .slice()
          .reverse()
          .forEach(function (a) {
            rows.push('<tr class="hist"><td></td><td>' + esc(a.unit ? a.unit.name : a.person && a.person.name) + "</td><td>" +
              esc(a.valid_from) + " – " + esc(a.valid_to || "") + "</td></tr>");
          });
      }
      document.querySelector("#sel-table tbody").innerHTML = rows.join("");
    }

    async function refreshTotals() {
      var s = await api("GET", cfg.api + "/gaps/summary");
      var d = s.district;
      var cells = document.querySelectorAll("#gap-totals [data-key]");
      cells.forEach(function (td) {
        var k = td.getAttribute("data-key");
        var v = d[k];
        if (/_coverage$/.test(k)) td.textContent = v == null ? "–" : (100 * v).toFixed(1) + "%";
        else if (/_km2$/.test(k)) td.textContent = (+v).toFixed(3);
        else if (/_km$/.test(k)) td.textContent = (+v).toFixed(2);
        else td.textContent = v;
      });
    }

    async function afterChange(text) {
      await gm.reload(true);
      await refreshTotals();
      if (sel.shape) await preview();
      else if (sel.single) await selectOne(sel.single.kind, sel.single.feature);
      message(msg, text, "ok");
    }

    document.getElementById("assign-form").addEventListener("submit", async function (ev) {
      ev.preventDefault();
      if (!sel.features.length) return;
      var body = {
        targets: sel.features.map(function (f) {
          return { kind: f.kind, id: f.id, expected: f.current ? f.current.assignment_id : null };
        }),
        unit_id: document.getElementById("unit").value,
        role: document.getElementById("role").value,
        valid_from: document.getElementById("valid-from").value,
        valid_to: document.getElementById("valid-to").value || null,
        by: "web",
      };
      message(msg, S.loading);
      try {
        var r = await api("POST", cfg.api + "/assignments", body);
        var text = r.counts.assigned
          ? fmt(S.assigned_ok, { n: r.counts.assigned, closed: r.counts.closed })
          : S.nothing_to_assign;
        await afterChange(text);
      } catch (err) {
        if (err.status === 409) {
          if (sel.shape) await preview();
          else if (sel.single) await selectOne(sel.single.kind, sel.single.feature);
          await gm.reload(true);
          message(msg, S.conflict_reload + "\n" + err.message, "error conflict");
        } else {
          message(msg, errorText(err), "error");
        }
      }
    });
    document.getElementById("sel-table").addEventListener("click", async function (ev) {
      var btn = ev.target.closest(".end-btn");
      if (!btn) return;
      message(msg, S.loading);
      try {
        await api("POST", cfg.api + "/assignments/" + btn.getAttribute("data-id") + "/end", {
          on: document.getElementById("end-on").value,
          by: "web",
        });
        await afterChange(S.ended_ok);
      } catch (err) {
        message(msg, errorText(err), "error" + (err.status === 409 ? " conflict" : ""));
      }
    });
    document.getElementById("clear-selection").addEventListener("click", function () {
      drawn.clearLayers();
      sel.shape = null;
      sel.single = null;
      show([], {}, []);
      message(msg, "");
    });
    document.querySelectorAll("#catch-kinds input, #buffer-m").forEach(function (el) {
      el.addEventListener("change", preview);
    });
    document.getElementById("unit").addEventListener("change", function () {
      if (sel.shape) preview();
    });
    api("GET", cfg.api + "/units").then(function (d) {
      var select = document.getElementById("unit");
      d.items.forEach(function (u) {
        var o = document.createElement("option");
        o.value = u.id;
        o.textContent = u.name;
        select.appendChild(o);
      });
      window.commandReady = true;
    });
    window.commandPage = { gm: gm, selection: sel, preview: preview };
    return gm;
  }

  // -- gaps ---------------------------------------------------------------------------------------------------------

  function gaps(cfg) {
    var S = cfg.pageStrings || {};
    var gm = window.GridMap.create(cfg, { layers: ["streets", "communities"] });
    var layer = L.geoJSON(null, {
      style: function (f) {
        var k = f.properties.kind;
        if (k === "segment") return { color: "#d7263d", weight: 5, opacity: 0.9 };
        return { color: "#d7263d", weight: 2, fillColor: k === "compound" ? "#ff7f50" : "#d7263d", fillOpacity: 0.35 };
      },
      onEachFeature: function (f, lyr) {
        lyr.bindPopup(function () {
          return popup(f.properties);
        });
      },
    }).addTo(gm.map);
    var byId = {};

    function size(p) {
      return p.kind === "segment" ? (+p.length_m).toFixed(0) + " m" : (p.area_m2 / 10000).toFixed(2) + " ha";
    }
    function nearest(p) {
      return (p.nearest || [])
        .map(function (n) {
          return esc(n.unit_name) + " (" + Math.round(n.distance_m) + " m)";
        })
        .join("；");
    }
    function popup(p) {
      return (
        '<div class="gm-popup"><h3>' + esc(S[p.kind]) + " · " + esc(p.name) + "</h3>" + "<p>" + esc(p.street || "") + " " +
        esc(p.community || "") + " · " + size(p) + "</p><p><b>" + esc(S.nearest_units) + ":</b> " + (nearest(p) || "–") +
        "</p><p><b>" + esc(S.default_party) + ":</b> " + esc(p.default_unit || "–") + "</p></div>"
      );
    }
    async function load() {
      var url = cfg.api + "/gaps?" + new URLSearchParams(Object.assign({}, cfg.query, { format: "geojson" })).toString();
      var fc = await api("GET", url);
      layer.clearLayers();
      layer.addData(fc);
      byId = {};
      layer.eachLayer(function (l) {
        byId[l.feature.id] = l;
      });
      document.getElementById("gap-count").textContent = fmt(S.gap_count, { n: fc.features.length });
      document.querySelector("#gap-table tbody").innerHTML = fc.features
        .map(function (f) {
          var p = f.properties;
          return (
            '<tr data-fid="' + esc(f.id) + '"><td>' + esc(S[p.kind]) + '</td><td><a href="#">' + esc(p.name) + "</a></td><td>" +
            size(p) + "</td><td>" + esc(p.community || "–") + "</td><td>" + (nearest(p) || "–") + "</td></tr>"
          );
        })
        .join("");
      if (fc.features.length) gm.map.fitBounds(layer.getBounds(), { maxZoom: 16 });
      window.gapsReady = true;
    }
    document.querySelector("#gap-table tbody").addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-fid]");
      if (!tr) return;
      ev.preventDefault();
      var l = byId[tr.getAttribute("data-fid")];
      if (!l) return;
      gm.map.fitBounds(l.getBounds(), { maxZoom: 17 });
      l.openPopup(l.getBounds().getCenter());
    });
    load().catch(function (err) {
      document.getElementById("map-status").textContent = errorText(err);
      document.getElementById("map-status").className = "map-status error";
      window.gapsReady = true;
    });
    window.commandPage = { gm: gm, layer: layer };
    return gm;
  }

  // -- heatmap ------------------------------------------------------------------------------------------------------

  function heatmap(cfg) {
    var S = cfg.pageStrings || {};
    var gm = window.GridMap.create(cfg, { layers: ["streets", "communities"] });
    var msg = document.getElementById("heat-msg");
    var form = document.getElementById("heat-form");
    var current = null;
    var seq = 0;
    var cats = [];

    function params() {
      var fd = new FormData(form);
      var p = {};
      ["mode", "status", "from", "to", "unit", "street", "community"].forEach(function (k) {
        var v = fd.get(k);
        if (v) p[k] = v;
      });
      if (fd.get("overdue")) p.overdue = "true";
      var c = fd.get("sub") || fd.get("class");
      if (c) p.category = c;
      if (p.from && p.to) {
        // "to" is inclusive in the form; the API takes the end as exclusive
        var d = new Date(p.to + "T00:00:00");
        d.setDate(d.getDate() + 1);
        p.to = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
      }
      return p;
    }
    function ramp(t) {
      // 0..1 → yellow..red
      var h = 50 - 50 * Math.max(0, Math.min(1, t));
      return "hsl(" + h.toFixed(0) + ",90%," + (55 - 15 * t).toFixed(0) + "%)";
    }
    async function load() {
      var my = ++seq;
      var p = params();
      message(msg, S.loading);
      try {
        var data = await api("GET", cfg.api + "/heat?" + new URLSearchParams(p).toString());
        if (my !== seq) return;
        if (current) gm.map.removeLayer(current);
        current = null;
        var legend = "";
        if (data.mode === "points") {
          // Leaflet.heat saturates at `max` (1 by default): scale it with the number of points so hot spots still stand out.
          var heatMax = Math.max(1, Math.sqrt(data.points.length) / 8);
          current = L.heatLayer(data.points, { radius: 18, blur: 15, maxZoom: 17, max: heatMax, minOpacity: 0.35 }).addTo(gm.map);
        } else {
          var grid = data.mode === "grids";
          var max = grid ? data.max : data.max_per_km;
          current = L.geoJSON(data.features, {
            style: function (f) {
              var v = grid ? f.properties.count : f.properties.per_km;
              var c = ramp(max ? v / max : 0);
              return grid ? { color: c, weight: 1, fillColor: c, fillOpacity: 0.6 } : { color: c, weight: 5, opacity: 0.9 };
            },
            onEachFeature: function (f, lyr) {
              var pr = f.properties;
              lyr.bindPopup(
                "<b>" + esc(pr.code || pr.name) + "</b><br>" + fmt(S.case_count, { n: pr.count }) +
                  (grid ? " · " + pr.per_km2 + " " + esc(S.per_km2) : " · " + pr.per_km + " " + esc(S.per_km))
              );
            },
          }).addTo(gm.map);
          legend = '<span class="ramp"></span> 0 – ' + (grid ? esc(fmt(S.case_count, { n: max })) : max + " " + esc(S.per_km));
        }
        document.getElementById("heat-legend").innerHTML = legend;
        document.getElementById("heat-count").textContent = fmt(S.case_count, { n: data.count });
        document.getElementById("case-list").href =
          "/heatmap/cases" + data.cases_url.replace(/^[^?]*/, "") + (cfg.lang === "en" ? (data.cases_url.indexOf("?") < 0 ? "?" : "&") + "lang=en" : "");
        document.getElementById("case-list-json").href = data.cases_url;
        message(msg, "");
      } catch (err) {
        if (my === seq) message(msg, errorText(err), "error");
      } finally {
        if (my === seq) window.heatReady = true;
      }
    }
    function fillSubs() {
      var cls = document.getElementById("cat-class").value;
      var sub = document.getElementById("cat-sub");
      sub.length = 1;
      cats
        .filter(function (c) {
          return cls && c.parent_code === cls;
        })
        .forEach(function (c) {
          var o = document.createElement("option");
          o.value = c.code;
          o.textContent = c.code + " " + (cfg.lang === "en" && c.name_en ? c.name_en : c.name_zh);
          sub.appendChild(o);
        });
    }
    form.addEventListener("change", function (ev) {
      if (ev.target.id === "cat-class") fillSubs();
      window.heatReady = false;
      load();
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
    });
    Promise.all([api("GET", cfg.api + "/categories?family=event&active=true"), api("GET", cfg.api + "/units")])
      .then(function (res) {
        cats = Array.isArray(res[0]) ? res[0] : res[0].items || [];
        var cls = document.getElementById("cat-class");
        cats
          .filter(function (c) {
            return !c.parent_code;
          })
          .forEach(function (c) {
            var o = document.createElement("option");
            o.value = c.code;
            o.textContent = c.code + " " + (cfg.lang === "en" && c.name_en ? c.name_en : c.name_zh);
            cls.appendChild(o);
          });
        var unit = document.getElementById("heat-unit");
        res[1].items.forEach(function (u) {
          var o = document.createElement("option");
          o.value = u.id;
          o.textContent = u.name;
          unit.appendChild(o);
        });
      })
      .catch(function (err) {
        message(msg, errorText(err), "error");
      });
    load();
    window.commandPage = { gm: gm, reload: load };
    return gm;
  }

  window.GridMapCommand = { assign: assign, gaps: gaps, heatmap: heatmap };
})();
