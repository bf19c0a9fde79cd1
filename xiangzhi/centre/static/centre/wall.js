// The wall screen (centre/wall.html): a clock, and the figures fetched again every minute and swapped
// in without reloading the page. When a fetch fails the last figures stay and the status says
// 「网络中断 · 最后更新 14:05」 until one succeeds. The service worker may keep the page and its last
// figures, so a screen reloaded during an outage still shows them (marked the same way).
(function () {
  "use strict";
  var screen = document.getElementById("wall");
  var body = document.getElementById("wall-body");
  var status = document.getElementById("wall-status");
  var time = document.getElementById("wall-time");
  var date = document.getElementById("wall-date");
  if (!screen || !body || !status) return;
  var src = screen.getAttribute("data-src");
  var every = (parseInt(screen.getAttribute("data-refresh"), 10) || 60) * 1000;
  var WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];
  // What the screen has done, for whoever watches it (and the browser test).
  var state = window.xzWall = { fetches: 0, swaps: 0, failures: 0, done: 0 };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var d = new Date();
    time.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    date.textContent = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 星期" + WEEKDAYS[d.getDay()];
  }

  function updated() {
    var fragment = body.querySelector("[data-wall-fragment]");
    return fragment ? fragment.getAttribute("data-updated") : "";
  }

  function fine() {
    status.textContent = "每 " + every / 1000 + " 秒自动更新 · 最后更新 " + updated();
    status.className = "wall-status";
  }

  function down(reason) {
    status.textContent = reason + " · 最后更新 " + updated();
    status.className = "wall-status wall-down";
  }

  // A fragment: the page's own markup, parsed and checked before it replaces the figures on screen.
  function swap(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var fragment = holder.content.querySelector("[data-wall-fragment]");
    if (!fragment) throw new Error("not the wall's figures");
    body.replaceChildren(fragment);
    state.swaps += 1;
  }

  function refresh() {
    state.fetches += 1;
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, Math.min(every / 2, 30000)) : null;
    fetch(src, { credentials: "same-origin", cache: "no-store", redirect: "manual",
                 headers: { "Accept": "text/html" }, signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (response.type === "opaqueredirect") throw new Error("login");  // the session ended
        if (!response.ok || response.headers.get("X-Xz-Wall") !== "1") throw new Error("status " + response.status);
        var kept = response.headers.get("X-Xz-Saved-At");  // the service worker's copy: the network is down
        return response.text().then(function (html) {
          swap(html);
          if (kept) { state.failures += 1; down("网络中断"); } else { fine(); }
        });
      })
      .catch(function (error) {
        state.failures += 1;
        down(error && error.message === "login" ? "登录已失效，请重新登录" : "网络中断");
      })
      .then(function () {
        if (timer) clearTimeout(timer);
        state.done += 1;
        setTimeout(refresh, every);
      });
  }

  tick();
  setInterval(tick, 1000);
  // A page the service worker handed over from its store (the screen reloaded offline).
  if (document.body.hasAttribute("data-xz-offline-copy")) down("网络中断");
  setTimeout(refresh, every);
  var sw = screen.getAttribute("data-sw");
  if (sw && navigator.serviceWorker && navigator.serviceWorker.register) {
    navigator.serviceWorker.register(sw).catch(function () { /* the screen works without it */ });
  }
})();
