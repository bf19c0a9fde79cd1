// Grid polygons on a Leaflet map with no tile server: county intranets are offline.
(function () {
  function draw(el) {
    L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });  // Leaflet says "Zoom in"
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
    var palette = ["#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e"];
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var i = 0;
        var layer = L.geoJSON(data, {
          style: function (f) {
            var color = palette[(i++) % palette.length];
            return { color: color, weight: f.properties.level >= 4 ? 1 : 2, fillOpacity: 0.18 };
          },
          onEachFeature: function (f, l) {
            var p = f.properties;
            // Leaflet reads a string as HTML: names typed by users go in as text.
            var tip = document.createElement("span");
            tip.textContent = p.region + " · " + p.name;
            l.bindTooltip(tip, { sticky: true });
            l.on("click", function () { window.location.href = p.url; });
          }
        }).addTo(map);
        if (data.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        } else {
          map.setView([36.6, 117.5], 9);
          el.insertAdjacentHTML("beforeend", '<div class="position-absolute top-50 start-50 translate-middle bg-white p-2 rounded" style="z-index:500">暂无网格边界</div>');
        }
        el.dataset.ready = String(data.features.length);
        if (el.dataset.places) { addPlaces(map, el); }
      });
  }

  // 部件与场所 and 组织 as two layers one can switch on and off (the control in Chinese).
  var KIND_COLORS = { street_light: "#f9a825", manhole: "#5d4037", hydrant: "#c62828", river: "#0277bd",
                      road: "#616161", bridge: "#6d4c41", school: "#2e7d32", clinic: "#d81b60",
                      service_centre: "#b71c1c", shop: "#ef6c00" };
  function addPlaces(map, el) {
    fetch(el.dataset.places, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        var renderer = L.canvas();
        var layers = { place: L.layerGroup(), organisation: L.layerGroup() };
        data.features.forEach(function (f) {
          var p = f.properties, c = f.geometry.coordinates;
          var org = p.layer === "organisation";
          var m = L.circleMarker([c[1], c[0]], {
            renderer: renderer, radius: org ? 7 : 6, weight: 2, fillOpacity: 0.85,
            color: org ? "#4527a0" : "#ffffff", fillColor: org ? "#7e57c2" : (KIND_COLORS[p.kind] || "#455a64"),
          });
          var tip = document.createElement("span");  // typed by people: text, never HTML
          tip.textContent = p.kind_name + " · " + p.name + (p.label ? "（" + p.label + "）" : "");
          m.bindTooltip(tip);
          m.on("click", function () { window.location.href = p.url; });
          layers[org ? "organisation" : "place"].addLayer(m);
        });
        layers.place.addTo(map);
        layers.organisation.addTo(map);
        var control = L.control.layers(null, { "部件与场所": layers.place, "组织": layers.organisation }).addTo(map);
        var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
        if (toggle) { toggle.title = "图层"; toggle.setAttribute("aria-label", "图层"); }
        el.dataset.placesReady = String(data.features.length);
      });
  }
  document.querySelectorAll("[data-geojson]").forEach(draw);
})();
