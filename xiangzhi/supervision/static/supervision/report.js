// 码上办: "用手机定位" puts one fix into the hidden lon/lat fields; the photo count is said as it is picked.
(function () {
  "use strict";
  var photos = document.getElementById("id_photos");
  var picked = document.getElementById("report-photos-picked");
  if (photos && picked) {
    photos.addEventListener("change", function () {
      var max = parseInt(photos.dataset.max || "6", 10), n = photos.files.length;
      picked.textContent = n > max ? "最多 " + max + " 张，请重新选择" : (n ? "已选 " + n + " 张照片" : "");
      picked.className = "small mt-1 " + (n > max ? "text-danger" : "text-muted");
    });
  }
  var button = document.getElementById("report-locate");
  var status = document.getElementById("report-locate-status");
  if (!button || !status) return;
  button.addEventListener("click", function () {
    if (!window.isSecureContext || !("geolocation" in navigator)) {
      status.textContent = "此浏览器无法定位，可以只填写地点。";
      status.className = "small text-danger";
      return;
    }
    status.textContent = "正在定位…";
    status.className = "small text-muted";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      status.className = "small text-success";
    }, function (err) {
      status.textContent = err.code === 1
        ? "未获得定位权限，可以只填写地点。"
        : "暂时无法获取位置，可以只填写地点。";
      status.className = "small text-danger";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });
})();
