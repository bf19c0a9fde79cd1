// "记录当前位置" on the visit form: one geolocation fix into the hidden lon/lat fields.
(function () {
  "use strict";
  var button = document.getElementById("visit-locate");
  var status = document.getElementById("visit-locate-status");
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
