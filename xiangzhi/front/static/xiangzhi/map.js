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
      });
  }
  document.querySelectorAll("[data-geojson]").forEach(draw);
})();
