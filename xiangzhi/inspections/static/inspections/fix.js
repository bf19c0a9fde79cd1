// "在村里定位": one geolocation fix, sent at once; the server checks it lies inside the village.
(function () {
  "use strict";
  var button = document.getElementById("fix-locate");
  var status = document.getElementById("fix-status");
  if (!button) return;
  button.addEventListener("click", function () {
    if (!window.isSecureContext || !("geolocation" in navigator)) {
      status.textContent = "此浏览器无法定位（需要 HTTPS）。";
      status.className = "small mt-1 text-danger";
      return;
    }
    status.textContent = "正在定位…";
    status.className = "small mt-1 text-muted";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("fix-lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("fix-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("fix-form").submit();
    }, function (err) {
      status.textContent = err.code === 1
        ? "未获得定位权限：请在手机设置中允许本网站使用位置信息。"
        : "暂时无法获取位置，请稍后再试。";
      status.className = "small mt-1 text-danger";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });
})();
