// A grid's boundary on the offline map, editable with Leaflet-Geoman (vendored in ./geoman): its
// neighbours and its village are drawn for reference, and a refusal's places (the crossing point, the
// part outside the village, the overlap) in red. Saving sends the polygon as GeoJSON in the form.
(function () {
  var el = document.getElementById("boundary-map");
  if (!el) return;
  var data = JSON.parse(document.getElementById("boundary-data").textContent);
  var form = document.getElementById("boundary-form");
  var input = document.getElementById("boundary-input");
  var note = document.getElementById("boundary-note");

  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  // Geoman's own Chinese, with our words where its are missing or stiff.
  map.pm.setLang("zh", {
    tooltips: {
      firstVertex: "点击地图放置第一个顶点",
      continueLine: "点击继续绘制下一个顶点",
      finishPoly: "点击第一个顶点完成绘制"
    },
    actions: { finish: "完成", cancel: "取消", removeLastVertex: "撤销上一个顶点" },
    buttonTitles: { drawPolyButton: "重新绘制边界" }
  }, "zh");
  map.pm.addControls({
    position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawRectangle: false,
    drawCircle: false, drawText: false, drawPolygon: true, editMode: false, dragMode: false, cutPolygon: false,
    removalMode: false, rotateMode: false
  });

  function tip(layer, text) {
    var span = document.createElement("span");  // names typed by people go in as text, never HTML
    span.textContent = text;
    layer.bindTooltip(span, { sticky: true });
  }

  // Every layer is made first and the view set from their extent, then they are put on the map: Leaflet
  // and Geoman place things in pixels, which need the view.
  var reference = { pmIgnore: true, interactive: true };
  var layers = [];
  if (data.container.geometry) {
    layers.push(L.geoJSON(data.container.geometry, L.extend({
      style: { color: "#555", weight: 2, dashArray: "6 4", fill: false }
    }, reference)));
  }
  data.neighbours.forEach(function (n) {
    var layer = L.geoJSON(n.geometry, L.extend({
      style: { color: "#1565c0", weight: 1.5, fillOpacity: 0.08 }
    }, reference));
    layer.eachLayer(function (l) { tip(l, n.name); });
    layers.push(layer);
  });
  var problems = data.problems.filter(function (p) { return p.geometry; }).map(function (p) {
    var layer = L.geoJSON(p.geometry, L.extend({
      style: { color: "#c62828", weight: 2, fillColor: "#e53935", fillOpacity: 0.5 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 12, color: "#c62828", weight: 3, fillColor: "#ffeb3b", fillOpacity: 1,
                                        pmIgnore: true });
      }
    }, reference));
    layer.eachLayer(function (l) { tip(l, p.message); });
    return layer;
  });

  function fromGeometry(geometry) {
    return L.geoJSON(geometry).getLayers()[0];
  }
  var first = data.boundary ? fromGeometry(data.boundary) : null;
  var bounds = L.latLngBounds([]);
  layers.concat(problems, first ? [first] : []).forEach(function (l) { bounds.extend(l.getBounds()); });
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([36.6, 117.5], 9);
  layers.forEach(function (l) { l.addTo(map); });

  var editable = null;
  function setEditable(layer) {
    if (editable && editable !== layer) map.removeLayer(editable);
    editable = layer;
    layer.setStyle({ color: "#2e7d32", weight: 3, fillOpacity: 0.2 });
    layer.addTo(map);
    layer.pm.enable({ allowSelfIntersection: true, snappable: true });
    tip(layer, data.grid_name + "（拖动顶点修改）");
  }
  if (first) setEditable(first);
  map.on("pm:create", function (e) { setEditable(e.layer); });
  problems.forEach(function (l) { l.addTo(map); });  // on top of the grid being drawn

  var reset = document.getElementById("boundary-reset");
  if (reset) reset.addEventListener("click", function () {
    if (data.original) {
      setEditable(fromGeometry(data.original));
    } else if (editable) {
      map.removeLayer(editable);
      editable = null;
    }
  });

  form.addEventListener("submit", function (e) {
    if (!editable) {
      e.preventDefault();
      note.textContent = "请先在地图上绘制网格边界（左上角“重新绘制边界”按钮）。";
      note.classList.remove("d-none");
      return;
    }
    input.value = JSON.stringify(editable.toGeoJSON(7).geometry);
  });

  // The browser test drives the map through this, as a person would with the mouse.
  el.xzEditor = { map: map, layer: function () { return editable; }, setEditable: setEditable };
  el.dataset.ready = "1";
})();
