// One place or organisation on the offline map (no tile server): a marker at its point.
(function () {
  var el = document.getElementById("site-map");
  if (!el) { return; }
  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });  // Leaflet says "Zoom in"
  var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el, { attributionControl: false }).setView(at, 17);
  var tip = document.createElement("span");
  tip.textContent = el.dataset.name;  // typed by people: text, never HTML
  L.circleMarker(at, { radius: 9, color: "#d84315", weight: 3, fillOpacity: 0.6 }).addTo(map)
    .bindTooltip(tip, { permanent: true, direction: "top", offset: [0, -8] });
})();
