// The command centre's map: grid boundaries with their names where they fit, the open cases clustered on
// the server (centre/map.py) and refreshed every minute without a reload, workers on patrol, key places,
// and a grid's panel. No tile server unless the county configured its own (MAP_TILE_URL).
(function () {
  "use strict";
  var el = document.getElementById("centre-map");
  if (!el || !window.L) { return; }
  var d = el.dataset;
  var REFRESH = (parseInt(d.refresh, 10) || 60) * 1000;
  var STATES = JSON.parse(document.getElementById("map-states").textContent);  // [[key, name, colour], …]
  var COLOUR = {};
  STATES.forEach(function (s) { COLOUR[s[0]] = s[2]; });
  var statusEl = document.getElementById("map-status");
  var panel = document.getElementById("map-panel");

  function text(tag, className, value) {  // names typed by people reach the map as text, never as markup
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    node.textContent = value;
    return node;
  }
  function withQuery(url, params) { return url + (url.indexOf("?") >= 0 ? "&" : "?") + params; }
  function getJSON(url, signal) {
    return fetch(url, { credentials: "same-origin", signal: signal, headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  // Leaflet speaks English: its zoom buttons and layer switch are given Chinese titles; no attribution.
  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
  // Half steps fit a township snugly; the server clusters at the whole zoom below, so a cell is 64–90 px
  // on screen and markers (at most 56 px) never overlap.
  var map = L.map(el, { attributionControl: false, minZoom: 5, maxZoom: 18, zoomSnap: 0.5 });
  if (d.tiles) { L.tileLayer(d.tiles, { minZoom: 5, maxZoom: 18 }).addTo(map); }
  map.createPane("labels");
  map.getPane("labels").style.zIndex = 450;  // above the polygons, under the markers
  map.getPane("labels").style.pointerEvents = "none";

  var gridLayer = L.geoJSON(null, { style: gridStyle, onEachFeature: bindGrid }).addTo(map);
  var labelLayer = L.layerGroup().addTo(map);
  var caseLayer = L.layerGroup().addTo(map);
  var workerLayer = L.layerGroup().addTo(map);
  var placeLayer = L.layerGroup();
  var orgLayer = L.layerGroup();
  var control = L.control.layers(null, {
    "事件": caseLayer, "巡查人员": workerLayer, "网格与村名称": labelLayer, "部件与场所": placeLayer, "组织": orgLayer
  }, { collapsed: true }).addTo(map);
  var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) { toggle.title = "图层"; toggle.setAttribute("aria-label", "图层"); }

  // --- grids and the panel ------------------------------------------------------------------------
  var selected = null;
  function gridStyle(f) {
    var micro = !!f.properties.parent;
    return { color: micro ? "#5f8f62" : "#2e7d32", weight: micro ? 1 : 2, dashArray: micro ? "4 3" : null,
             fillColor: "#2e7d32", fillOpacity: 0.05 };
  }
  function bindGrid(f, layer) {
    layer.options.className = "xz-grid";  // read when Leaflet draws the path, just after this
    layer.on("add", function () { layer.getElement().setAttribute("data-grid", f.properties.code); });
    layer.on("click", function () { openPanel(f.properties.code, layer); });
  }
  function openPanel(code, layer) {
    if (selected) { gridLayer.resetStyle(selected); }
    selected = layer;
    layer.setStyle({ color: "#0d47a1", weight: 3, fillOpacity: 0.15 });
    panel.classList.add("open");
    panel.dataset.loading = code;
    var url = d.panel.replace("CODE", encodeURIComponent(code));
    htmx.ajax("GET", url, { target: panel, swap: "innerHTML" }).then(function () {
      delete panel.dataset.loading;
    }, function () {
      panel.replaceChildren(text("p", "text-danger small mb-0", "网格信息加载失败，请稍后再点一次"));
    });
  }
  panel.addEventListener("click", function (ev) {
    if (ev.target instanceof Element && ev.target.closest("[data-close-panel]")) {
      panel.classList.remove("open");
      if (selected) { gridLayer.resetStyle(selected); selected = null; }
    }
  });

  // --- names where they fit -----------------------------------------------------------------------
  // A name is drawn only when it fits inside its polygon's box on screen at this zoom, and never over
  // another: villages first, then grids, then micro-grids, larger areas before smaller.
  var FONTS = { village: ["600 15px sans-serif", 22], grid: ["13px sans-serif", 19], micro: ["12px sans-serif", 18] };
  var ctx = document.createElement("canvas").getContext("2d");
  var names = [];
  function measure(value, kind) {
    ctx.font = FONTS[kind][0];
    return [Math.ceil(ctx.measureText(value).width) + 8, FONTS[kind][1]];
  }
  function collectNames(data) {
    var villages = {};
    names = [];
    gridLayer.eachLayer(function (layer) {
      var p = layer.feature.properties, bounds = layer.getBounds();
      var v = villages[p.village] = villages[p.village] || L.latLngBounds([]);
      v.extend(bounds);
      names.push({ text: p.name, kind: p.parent ? "micro" : "grid", bounds: bounds,
                   at: p.center ? L.latLng(p.center[1], p.center[0]) : bounds.getCenter() });
    });
    (data.villages || []).forEach(function (v) {
      var bounds = villages[v.code];
      if (!bounds || !bounds.isValid()) { return; }
      names.push({ text: v.name, kind: "village", bounds: bounds,
                   at: v.center ? L.latLng(v.center[1], v.center[0]) : bounds.getCenter() });
    });
    var rank = { village: 0, grid: 1, micro: 2 };
    function area(b) { return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth()); }
    names.sort(function (a, b) { return rank[a.kind] - rank[b.kind] || area(b.bounds) - area(a.bounds); });
    names.forEach(function (n) { n.size = measure(n.text, n.kind); });
  }
  function placeNames() {
    labelLayer.clearLayers();
    if (!map.hasLayer(labelLayer)) { return; }
    var view = map.getSize(), placed = [];
    names.forEach(function (n) {
      var nw = map.latLngToContainerPoint(n.bounds.getNorthWest());
      var se = map.latLngToContainerPoint(n.bounds.getSouthEast());
      var w = n.size[0], h = n.size[1];
      if (w > (se.x - nw.x) * 0.9 || h > (se.y - nw.y) * 0.6) { return; }  // does not fit its polygon
      var p = map.latLngToContainerPoint(n.at);
      var box = { l: p.x - w / 2, t: p.y - h / 2, r: p.x + w / 2, b: p.y + h / 2 };
      if (box.r < 0 || box.b < 0 || box.l > view.x || box.t > view.y) { return; }
      for (var i = 0; i < placed.length; i++) {
        var o = placed[i];
        if (box.l < o.r + 2 && box.r + 2 > o.l && box.t < o.b + 1 && box.b + 1 > o.t) { return; }
      }
      placed.push(box);
      labelLayer.addLayer(L.marker(n.at, {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "xz-map-label xz-map-label-" + n.kind, html: text("span", "", n.text),
                          iconSize: [w, h] })
      }));
    });
    el.dataset.labels = String(placed.length);
  }

  // --- the case layer -----------------------------------------------------------------------------
  var inflight = null, loads = 0, lastGood = null;
  function ring(states, count) {
    var stops = [], at = 0;
    STATES.forEach(function (s) {
      var n = states[s[0]] || 0;
      if (!n) { return; }
      var next = at + n / count * 100;
      stops.push(s[2] + " " + at.toFixed(2) + "% " + next.toFixed(2) + "%");
      at = next;
    });
    return "conic-gradient(" + stops.join(", ") + ")";
  }
  function clusterMarker(c) {
    var size = Math.round(32 + Math.min(24, Math.log(c.count) / Math.LN10 * 10));
    var dot = document.createElement("div");
    dot.className = "xz-cluster" + (c.overdue ? " xz-cluster-overdue" : "");
    dot.style.width = dot.style.height = size + "px";
    dot.style.background = ring(c.states, c.count);
    dot.dataset.count = String(c.count);
    dot.dataset.overdue = String(c.overdue);
    dot.appendChild(text("span", "", String(c.count)));
    if (c.overdue) { dot.appendChild(text("b", "xz-cluster-badge", String(c.overdue))); }
    var words = STATES.filter(function (s) { return c.states[s[0]]; })
      .map(function (s) { return s[1] + " " + c.states[s[0]]; }).join("，");
    var m = L.marker([c.lat, c.lon], {
      icon: L.divIcon({ className: "xz-cluster-icon", html: dot, iconSize: [size, size] }),
      title: c.count + " 件（" + words + "），点击放大", riseOnHover: true
    });
    m.on("click", function () {
      var b = L.latLngBounds([c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]);
      var zoom = Math.min(map.getBoundsZoom(b.pad(0.3)), 18);
      if (zoom <= map.getZoom()) { zoom = Math.min(map.getZoom() + 2, 18); }
      map.setView(b.getCenter(), zoom);
    });
    return m;
  }
  function caseMarker(c, at) {
    var dot = document.createElement("div");
    dot.className = "xz-case xz-case-" + c.state;
    dot.dataset.overdue = c.overdue ? "1" : "0";
    dot.dataset.caseId = String(c.id);
    var size = c.overdue ? 20 : 16;
    var m = L.marker(at, {
      icon: L.divIcon({ className: "xz-case-icon", html: dot, iconSize: [size, size] }),
      title: c.number + " " + c.title + "（" + (c.overdue ? "超时 · " : "") + c.status + "）", riseOnHover: true,
      zIndexOffset: c.overdue ? 500 : 0
    });
    m.on("click", function () { window.location.href = c.url; });
    return m;
  }
  // Cases at one spot (a facility, a duplicate) are set around it a few pixels apart, so each can be clicked.
  function spread(cases) {
    var seen = {};
    return cases.map(function (c) {
      var key = c.lat.toFixed(5) + "," + c.lon.toFixed(5);
      var k = seen[key] = (seen[key] || 0) + 1;
      if (k === 1) { return [c, L.latLng(c.lat, c.lon)]; }
      var p = map.latLngToLayerPoint([c.lat, c.lon]), angle = k * 2.4, r = 10 + 3 * k;
      return [c, map.layerPointToLatLng(L.point(p.x + r * Math.cos(angle), p.y + r * Math.sin(angle)))];
    });
  }
  function setTotals(t) {
    document.querySelectorAll("[data-total]").forEach(function (node) {
      node.textContent = String(t[node.dataset.total]);
    });
    var unlocated = document.querySelector("[data-unlocated]");
    if (unlocated) { unlocated.hidden = !t.unlocated; }
  }
  function drawCases(data) {
    caseLayer.clearLayers();
    data.clusters.forEach(function (c) { caseLayer.addLayer(clusterMarker(c)); });
    spread(data.cases).forEach(function (pair) { caseLayer.addLayer(caseMarker(pair[0], pair[1])); });
    setTotals(data.totals);
    lastGood = data.as_of;
    statusEl.classList.remove("text-danger");
    statusEl.textContent = "更新于 " + data.as_of + " · 视野内在办 " + data.in_view.open + " 件，超时 " +
      data.in_view.overdue + " 件" + (data.truncated ? "（只显示前 1000 件，请放大）" : "") + " · 每分钟自动刷新";
    loads += 1;
    el.dataset.casesReady = String(loads);
  }
  function loadCases() {
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    var b = map.getBounds().pad(0.1);
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    var url = withQuery(d.cases, "bbox=" + bbox.join(",") + "&zoom=" + Math.floor(map.getZoom()));
    getJSON(url, inflight.signal).then(drawCases, function (err) {
      if (err && err.name === "AbortError") { return; }
      statusEl.classList.add("text-danger");
      statusEl.textContent = lastGood ? "网络中断，显示的是 " + lastGood + " 的数据，稍后自动重试" : "事件加载失败，稍后自动重试";
    });
  }

  // --- workers on patrol --------------------------------------------------------------------------
  function loadWorkers() {
    getJSON(d.positions).then(function (data) {
      workerLayer.clearLayers();
      data.positions.forEach(function (p) {
        var dot = document.createElement("div");
        dot.className = "xz-worker" + (p.stale ? " xz-worker-stale" : "");
        dot.dataset.stale = p.stale ? "1" : "0";
        dot.appendChild(text("span", "", p.name + " " + p.at));
        workerLayer.addLayer(L.marker([p.lat, p.lon], {
          icon: L.divIcon({ className: "xz-worker-icon", html: dot, iconSize: [14, 14] }),
          title: p.name + " · " + p.grid + " · " + p.at + " 定位" + (p.stale ? "（" + p.minutes + " 分钟前）" : ""),
          keyboard: false
        }));
      });
      el.dataset.workersReady = String(data.positions.length);
    }, function () { /* kept as they were; the next minute tries again */ });
  }

  // --- key places, loaded when first switched on -------------------------------------------------
  var KIND_COLOURS = { street_light: "#f9a825", manhole: "#5d4037", hydrant: "#c62828", river: "#0277bd",
                       road: "#616161", bridge: "#6d4c41", school: "#2e7d32", clinic: "#d81b60",
                       service_centre: "#b71c1c", shop: "#ef6c00" };
  var placesLoaded = false;
  function loadPlaces() {
    placesLoaded = true;
    getJSON(d.places).then(function (data) {
      var renderer = L.canvas();
      function add(rows, org) {
        var names = org ? data.organisation_kinds : data.kinds;
        rows.forEach(function (r) {  // [id, kind, name, label, lon, lat]
          var m = L.circleMarker([r[5], r[4]], {
            renderer: renderer, radius: org ? 7 : 6, weight: 2, fillOpacity: 0.85,
            color: org ? "#4527a0" : "#ffffff", fillColor: org ? "#7e57c2" : (KIND_COLOURS[r[1]] || "#455a64")
          });
          m.bindTooltip(text("span", "", (names[r[1]] || "") + " · " + r[2] + (r[3] ? "（" + r[3] + "）" : "")));
          m.on("click", function () {
            window.location.href = (org ? "/people/organisations/" : "/people/places/") + r[0] + "/";
          });
          (org ? orgLayer : placeLayer).addLayer(m);
        });
      }
      add(data.places, false);
      add(data.organisations, true);
      el.dataset.placesReady = String(data.places.length + data.organisations.length);
    }, function () { placesLoaded = false; });
  }
  map.on("overlayadd", function (ev) {
    if ((ev.layer === placeLayer || ev.layer === orgLayer) && !placesLoaded) { loadPlaces(); }
    if (ev.layer === labelLayer) { placeNames(); }
  });

  // --- start, and every minute -----------------------------------------------------------------------
  var moved = null;
  map.on("moveend", function () {
    placeNames();
    clearTimeout(moved);
    moved = setTimeout(loadCases, 150);
  });
  getJSON(d.grids).then(function (data) {
    gridLayer.addData(data);
    collectNames(data);
    if (data.features.length) {
      map.fitBounds(gridLayer.getBounds(), { padding: [12, 12] });
    } else {
      var c = (d.center || "36.6,117.5").split(",");
      map.setView([parseFloat(c[0]), parseFloat(c[1])], d.center ? 12 : 9);
      el.appendChild(text("div", "position-absolute top-50 start-50 translate-middle bg-white p-2 rounded xz-map-note",
                          "暂无网格边界"));
    }
    el.dataset.grids = String(data.features.length);
    loadWorkers();
  }, function () {
    statusEl.classList.add("text-danger");
    statusEl.textContent = "网格边界加载失败，请刷新页面";
  });
  setInterval(function () {
    if (document.hidden) { return; }
    loadCases();
    loadWorkers();
  }, REFRESH);
})();
