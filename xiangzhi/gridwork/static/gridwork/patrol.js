// A patrol's track on the offline map (no tile server: the grid boundary and the polyline only), and,
// on the worker's own open patrol, the recorder: watchPosition → a buffer kept in localStorage →
// POST to the API every 15 s, so a dead spot or a reload loses no fix.
(function () {
  "use strict";
  var el = document.querySelector("[data-patrol-map]");
  if (!el || typeof L === "undefined") return;

  var FLUSH_MS = 15000;
  var MAX_BATCH = 500;
  var maxAccuracy = parseFloat(el.dataset.maxAccuracy || "100");
  var track = JSON.parse(document.getElementById("patrol-track").textContent) || []; // [[lat, lon, acc], …]
  var boundary = JSON.parse(document.getElementById("patrol-boundary").textContent);

  L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });  // Leaflet says "Zoom in"
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  var area = boundary ? L.geoJSON(boundary, { style: { color: "#2e7d32", weight: 2, fillOpacity: 0.12 } }) : null;
  var line = L.polyline(track.map(function (p) { return [p[0], p[1]]; }), { color: "#d84315", weight: 4 });
  // The view first: Leaflet cannot draw a path on a map that has none yet.
  var bounds = area ? L.latLngBounds(area.getBounds().getSouthWest(), area.getBounds().getNorthEast()) : null;
  if (track.length) bounds = bounds ? bounds.extend(line.getBounds()) : line.getBounds();
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  else map.setView([36.6, 117.5], 9);
  if (area) area.addTo(map);
  line.addTo(map);
  if (track.length) {
    L.circleMarker([track[0][0], track[0][1]], { radius: 6, color: "#1565c0", fillOpacity: 1 }).addTo(map).bindTooltip("起点");
    var end = track[track.length - 1];
    L.circleMarker([end[0], end[1]], { radius: 6, color: "#c62828", fillOpacity: 1 }).addTo(map).bindTooltip("终点");
  }
  el.dataset.ready = String(track.length);

  if (el.dataset.recording !== "1") return;

  // --- the recorder ------------------------------------------------------------------------------
  var status = document.getElementById("patrol-status");
  var distanceEl = document.getElementById("patrol-distance");
  var countEl = document.getElementById("patrol-count");
  var stopForm = document.getElementById("patrol-stop-form");
  var storeKey = "xiangzhi-patrol-" + el.dataset.patrol;
  var pending = [];
  try { pending = JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { pending = []; }
  var sending = false;
  var lastStamp = 0;
  var total = 0;
  var last = null;
  var count = track.length + pending.length;
  var here = null;
  var watchId = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = "alert py-2 alert-" + (kind || "info");
    status.dataset.kind = kind || "info";
  }

  function haversine(a, b) {
    var R = 6371008.8, rad = Math.PI / 180;
    var dphi = (b[0] - a[0]) * rad, dl = (b[1] - a[1]) * rad;
    var h = Math.pow(Math.sin(dphi / 2), 2) + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // The same rule as the server's: fixes vaguer than maxAccuracy stay on the track, out of the distance.
  function addToDistance(lat, lon, acc) {
    if (acc !== null && acc !== undefined && acc > maxAccuracy) return;
    var p = [lat, lon];
    if (last) total += haversine(last, p);
    last = p;
  }
  track.forEach(function (p) { addToDistance(p[0], p[1], p[2]); });
  pending.forEach(function (p) { addToDistance(p.lat, p.lon, p.accuracy_m); line.addLatLng([p.lat, p.lon]); });

  // The last fix, for the sheets: a report made during the patrol starts from it.
  function remember(lat, lon) {
    el.dataset.lastLat = lat.toFixed(6);
    el.dataset.lastLon = lon.toFixed(6);
  }
  if (pending.length) remember(pending[pending.length - 1].lat, pending[pending.length - 1].lon);
  else if (track.length) remember(track[track.length - 1][0], track[track.length - 1][1]);

  function show() {
    distanceEl.textContent = (total / 1000).toFixed(2);
    countEl.textContent = String(count);
  }
  show();

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* storage full: keep in memory */ }
  }

  function onPosition(pos) {
    var c = pos.coords;
    var stamp = pos.timestamp || Date.now();
    if (stamp <= lastStamp) return; // some phones repeat the same fix
    lastStamp = stamp;
    var acc = typeof c.accuracy === "number" ? Math.round(c.accuracy * 10) / 10 : null;
    pending.push({ recorded_at: new Date(stamp).toISOString(), lon: c.longitude, lat: c.latitude, accuracy_m: acc });
    save();
    addToDistance(c.latitude, c.longitude, acc);
    remember(c.latitude, c.longitude);
    line.addLatLng([c.latitude, c.longitude]);
    if (here) here.setLatLng([c.latitude, c.longitude]);
    else here = L.circleMarker([c.latitude, c.longitude], { radius: 8, color: "#1565c0", fillColor: "#42a5f5", fillOpacity: 0.9 }).addTo(map).bindTooltip("当前位置");
    if (!map.getBounds().contains([c.latitude, c.longitude])) map.panTo([c.latitude, c.longitude]);
    count += 1;
    show();
    var precision = acc === null ? "" : "（精度约 " + Math.round(acc) + " 米）";
    say("正在记录轨迹" + precision + "。请保持本页面打开，不要锁屏。", "success");
  }

  function onError(err) {
    if (err.code === 1) {
      say("未获得定位权限，无法记录轨迹。请在手机或浏览器的设置中允许本网站使用位置信息，然后刷新本页面。", "danger");
    } else if (err.code === 2) {
      say("暂时无法获取位置（信号弱，或手机定位服务未开启），正在继续尝试…", "warning");
    } else {
      say("定位超时，正在继续尝试…", "warning");
    }
  }

  function flush() {
    if (sending || !pending.length) return Promise.resolve(true);
    sending = true;
    var batch = pending.slice(0, MAX_BATCH);
    return fetch(el.dataset.pointsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": el.dataset.csrf },
      body: JSON.stringify({ points: batch })
    }).then(function (r) {
      if (r.ok || r.status === 422) {
        // Taken, or refused for good (a bad fix): either way this batch is done.
        pending.splice(0, batch.length);
        save();
      }
      if (r.status === 422) {
        return r.json().then(function (body) {
          say("有定位点未被接受：" + ((body.error && body.error.message) || "格式不正确"), "warning");
          return true;
        });
      }
      if (r.status === 401 || r.status === 403) say("登录已失效，请重新登录后继续巡查（定位点已暂存在本机）。", "danger");
      return r.ok;
    }).catch(function () {
      say("网络不通，定位点暂存在本机，恢复后自动上传。", "warning");
      return false;
    }).finally(function () { sending = false; });
  }

  function drain() {
    return flush().then(function (ok) { return ok && pending.length ? drain() : ok; });
  }

  if (!window.isSecureContext) {
    say("定位需要通过 HTTPS 访问本平台，当前无法记录轨迹。请联系管理员。", "danger");
  } else if (!("geolocation" in navigator)) {
    say("此浏览器不支持定位，无法记录轨迹。请换用手机自带的浏览器打开。", "danger");
  } else {
    watchId = navigator.geolocation.watchPosition(onPosition, onError,
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }
  setInterval(flush, FLUSH_MS);
  flush();

  // Phones stop the page's timers when the screen locks: ask to keep it on, and send what we have
  // whenever the page is hidden.
  var wakeLock = null;
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").then(function (l) { wakeLock = l; }).catch(function () {});
    }
  }
  keepAwake();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(); else keepAwake();
  });

  stopForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    say("正在上传剩余定位点…", "info");
    drain().then(function (ok) {
      if (!ok) {
        say("网络不通，剩余定位点还没有上传。请在网络恢复后再点“结束巡查”。", "danger");
        if (window.isSecureContext && "geolocation" in navigator) {
          watchId = navigator.geolocation.watchPosition(onPosition, onError,
            { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
        }
        return;
      }
      try { localStorage.removeItem(storeKey); } catch (err) { /* nothing to clean */ }
      if (wakeLock) wakeLock.release().catch(function () {});
      stopForm.submit();
    });
  });
})();
