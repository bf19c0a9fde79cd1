// The report form in three taps: 拍照, 确认位置, 提交.
// The place: the phone's position first, then a pin one can drag or move by tapping the offline grid
// map. The coordinates travel in hidden fields; people see the grid's name.
// The photos: the camera and the album add to one list (shown as thumbnails, each removable), kept in
// the camera input's files so the form (or the offline queue reading it) sends them all.
(function () {
  var el = document.getElementById("pick-map");
  var lon = document.getElementById("lon"), lat = document.getElementById("lat");
  var where = document.getElementById("pick-where"), msg = document.getElementById("locate-msg");
  var confirmButton = document.getElementById("confirm-place");
  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });  // Leaflet says "Zoom in"
  var map = L.map(el, { attributionControl: false });
  var icon = L.icon({
    iconUrl: el.dataset.icon, iconRetinaUrl: el.dataset.icon2x, shadowUrl: el.dataset.shadow,
    iconSize: [25, 41], iconAnchor: [12, 41], shadowSize: [41, 41],
  });
  var grids = [];
  var marker = null;

  // Ray casting over a GeoJSON polygon's rings (the first is the outline, the others holes).
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    if (!inRing(x, y, rings[0])) { return false; }
    for (var k = 1; k < rings.length; k++) { if (inRing(x, y, rings[k])) { return false; } }
    return true;
  }
  function gridAt(la, lo) {
    var found = null;
    grids.forEach(function (f) {
      var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (var p = 0; p < polys.length; p++) {
        // A micro-grid lies inside its grid: the smaller one (listed after) names the place better.
        if (inPolygon(lo, la, polys[p])) { found = f.properties; }
      }
    });
    return found;
  }
  function setConfirmed(yes) {
    if (!confirmButton) { return; }
    confirmButton.setAttribute("aria-pressed", yes ? "true" : "false");
    confirmButton.classList.toggle("btn-success", yes);
    confirmButton.classList.toggle("btn-outline-success", !yes);
    confirmButton.textContent = yes ? "位置已确认 ✓" : "确认位置";
  }
  function put(la, lo) {
    lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
    if (marker) { marker.setLatLng([la, lo]); }
    else {
      marker = L.marker([la, lo], { icon: icon, draggable: true, title: "拖动改正位置", alt: "上报位置" }).addTo(map);
      marker.on("dragend", function () { var p = marker.getLatLng(); put(p.lat, p.lng); });
    }
    var g = gridAt(la, lo);
    where.textContent = g ? "位置：" + g.region + " " + g.name
                          : (grids.length ? "位置不在已划分的网格内，将由乡镇（街道）分派" : "已选位置");
    setConfirmed(false);
    // Others may listen (the places near the pin, place-pick.js); ``xz:snap`` moves the pin back here.
    el.dispatchEvent(new CustomEvent("xz:pin", { detail: { lat: la, lon: lo } }));
  }
  el.addEventListener("xz:snap", function (e) { put(e.detail.lat, e.detail.lon); map.panTo([e.detail.lat, e.detail.lon]); });
  function locate(quiet) {
    if (!navigator.geolocation) {
      if (!lat.value) { where.textContent = "请在地图上点一下问题所在的地方"; }
      if (!quiet) { msg.textContent = "此设备不支持定位，请在地图上点选位置。"; }
      return;
    }
    msg.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (p) {
      put(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 16);
      msg.textContent = "已定位，精度约 " + Math.round(p.coords.accuracy) + " 米；不准可拖动图钉。";
    }, function () {
      if (!lat.value) { where.textContent = "请在地图上点一下问题所在的地方"; }
      msg.textContent = "无法获取位置（可能未允许定位），请在地图上点选位置。";
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) {
    return r.ok ? r.json() : { features: [] };
  }).catch(function () { return { features: [] }; }).then(function (data) {
    grids = data.features || [];
    var layer = L.geoJSON(data, { style: { color: "#2e7d32", weight: 1, fillOpacity: 0.1 } }).addTo(map);
    if (lat.value && lon.value) {
      map.setView([parseFloat(lat.value), parseFloat(lon.value)], 16);
      put(parseFloat(lat.value), parseFloat(lon.value));
    } else if (el.dataset.center) {
      map.setView(el.dataset.center.split(",").map(parseFloat), 15);
    } else if (grids.length) {
      map.fitBounds(layer.getBounds());
    } else {
      map.setView([36.6, 117.5], 11);
    }
    if (!lat.value) { locate(true); }
  });
  map.on("click", function (e) { put(e.latlng.lat, e.latlng.lng); });
  document.getElementById("locate-me").addEventListener("click", function () { locate(false); });
  if (confirmButton) {
    confirmButton.addEventListener("click", function () {
      if (!lat.value) {
        msg.textContent = "还没有位置：请在地图上点一下问题所在的地方，再点“确认位置”。";
        return;
      }
      setConfirmed(true);
      var submit = document.getElementById("case-submit");
      if (submit) { submit.scrollIntoView({ block: "center", behavior: "smooth" }); submit.focus({ preventScroll: true }); }
    });
  }

  // --- photos ---------------------------------------------------------------------------------
  var camera = document.getElementById("photos"), album = document.getElementById("photos-album");
  var picked = document.getElementById("photos-picked"), thumbs = document.getElementById("photos-thumbs");
  if (!camera || !picked) { return; }
  var max = parseInt(camera.dataset.max || "6", 10);
  var canKeep = typeof DataTransfer === "function";
  var kept = [];
  var urls = [];

  function show(note) {
    var files = canKeep ? kept : [].concat(Array.prototype.slice.call(camera.files || []),
                                           Array.prototype.slice.call(album ? album.files || [] : []));
    picked.textContent = files.length ? "已选 " + files.length + " 张照片" : "";
    if (note) { picked.textContent += "（" + note + "）"; }
    if (!thumbs) { return; }
    urls.forEach(function (u) { URL.revokeObjectURL(u); });
    urls = [];
    thumbs.textContent = "";
    files.forEach(function (file, i) {
      var box = document.createElement("div");
      box.className = "d-flex flex-column align-items-center gap-1";
      var img = document.createElement("img");
      var url = URL.createObjectURL(file);
      urls.push(url);
      img.src = url; img.width = 88; img.height = 88;
      img.className = "rounded border object-fit-cover";
      img.alt = "第 " + (i + 1) + " 张照片";
      box.appendChild(img);
      if (canKeep) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-outline-danger xz-tap";
        remove.textContent = "删除";
        remove.setAttribute("aria-label", "删除第 " + (i + 1) + " 张照片");
        remove.addEventListener("click", function () { kept.splice(i, 1); store(); show(); });
        box.appendChild(remove);
      }
      thumbs.appendChild(box);
    });
  }
  function store() {
    var dt = new DataTransfer();
    kept.forEach(function (f) { dt.items.add(f); });
    camera.files = dt.files;
  }
  // A file input's change replaces what it held; what it held before is already in ``kept``. A
  // cancelled picker (no files) changes nothing: ``store`` puts the kept photos back.
  function add(input) {
    if (!canKeep) { show(); return; }
    var note = "";
    kept = kept.concat(Array.prototype.slice.call(input.files || []));
    if (kept.length > max) { kept = kept.slice(0, max); note = "最多 " + max + " 张，多出的没有加上"; }
    store();
    if (album) { album.value = ""; }
    show(note);
  }
  camera.addEventListener("change", function () { add(camera); });
  if (album) { album.addEventListener("change", function () { add(album); }); }
})();
