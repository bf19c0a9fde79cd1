// Pick a report's location: tap the offline grid map, or take the phone's position.
(function () {
  var el = document.getElementById("pick-map");
  var lon = document.getElementById("lon"), lat = document.getElementById("lat");
  var msg = document.getElementById("locate-msg");
  var map = L.map(el, { attributionControl: false });
  var marker = null;
  function put(la, lo) {
    lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
    if (marker) { marker.setLatLng([la, lo]); } else { marker = L.marker([la, lo]).addTo(map); }
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) {
    return r.ok ? r.json() : { features: [] };
  }).then(function (data) {
    var layer = L.geoJSON(data, { style: { color: "#2e7d32", weight: 1, fillOpacity: 0.1 } }).addTo(map);
    if (data.features.length) {
      map.fitBounds(layer.getBounds());
    } else if (el.dataset.center) {
      map.setView(el.dataset.center.split(",").map(parseFloat), 15);
    } else {
      map.setView([36.6, 117.5], 11);
    }
    if (lat.value && lon.value) { put(parseFloat(lat.value), parseFloat(lon.value)); }
  });
  map.on("click", function (e) { put(e.latlng.lat, e.latlng.lng); });
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { msg.textContent = "此设备不支持定位，请在地图上选点。"; return; }
    msg.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (p) {
      put(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 15);
      msg.textContent = "已定位，精度约 " + Math.round(p.coords.accuracy) + " 米。";
    }, function () { msg.textContent = "无法获取位置（可能未授权定位），请在地图上选点。"; },
    { enableHighAccuracy: true, timeout: 10000 });
  });
})();
