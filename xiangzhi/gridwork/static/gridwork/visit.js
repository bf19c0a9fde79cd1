// "记录当前位置" on the visit form: one geolocation fix into the hidden lon/lat fields.
(function () {
  "use strict";
  var button = document.getElementById("visit-locate");
  var status = document.getElementById("visit-locate-status");
  // A form opened from the phone's cache (offline) carries the time it was cached: start it at now.
  var form = document.querySelector("[data-testid=visit-form][data-fresh]");
  var when = document.getElementById("id_visited_at");
  if (form && when) {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    when.value = now.toISOString().slice(0, 16);
  }
  var photos = document.getElementById("visit-photos");
  var picked = document.getElementById("visit-photos-picked");
  if (photos && picked) {
    photos.addEventListener("change", function () {
      var max = parseInt(photos.dataset.max || "3", 10), n = photos.files.length;
      picked.textContent = n > max ? "最多 " + max + " 张，请重新选择" : (n ? "已选 " + n + " 张照片" : "");
      picked.className = "small mt-1 " + (n > max ? "text-danger" : "text-muted");
    });
  }
  if (!button) return;
  button.addEventListener("click", function () {
    if (!window.isSecureContext || !("geolocation" in navigator)) {
      status.textContent = "此浏览器无法定位（需要 HTTPS），可以只填写地点。";
      status.className = "small ms-2 text-danger";
      return;
    }
    status.textContent = "正在定位…";
    status.className = "small ms-2 text-muted";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      status.className = "small ms-2 text-success";
    }, function (err) {
      status.textContent = err.code === 1
        ? "未获得定位权限：请在手机设置中允许本网站使用位置信息，或只填写地点。"
        : "暂时无法获取位置，可以只填写地点。";
      status.className = "small ms-2 text-danger";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });
})();
