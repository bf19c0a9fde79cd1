// Working without signal, on every page (loaded from front/_pwa_head.html):
// - registers the service worker (/sw.js), which keeps the field pages for use offline;
// - shows a 离线 banner when there is no network or the page is the phone's saved copy;
// - a <form data-offline-form> filled without network goes into the send queue (offline-queue.js)
//   instead of failing; what waits is listed at the top of the page ("待发送 2 条") and sent when
//   the network returns, on the next page load, or by Background Sync;
// - logging out empties the saved pages and this user's queue, and has the service worker drop the
//   pages it is still fetching, so a shared phone keeps nothing.
(function () {
  "use strict";
  var me = document.getElementById("xz-offline");
  var Q = window.XZQueue;
  if (!me || !Q || !window.indexedDB) return;
  var swUrl = me.getAttribute("data-sw"), loginUrl = me.getAttribute("data-login");
  var logoutUrl = me.getAttribute("data-logout");
  var userMeta = document.querySelector('meta[name="xz-user"]');
  var user = userMeta ? userMeta.getAttribute("content") : "";
  var savedCopy = document.body.getAttribute("data-xz-offline-copy");
  var area, banner, notice, outbox;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // 12月6日 14:03, with the year when it is not this year.
  function when(value) {
    var d = new Date(value);
    if (isNaN(d.getTime())) return "";
    var year = d.getFullYear() !== new Date().getFullYear() ? d.getFullYear() + "年" : "";
    return year + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function pathOf(url) { return new URL(url, location.href).pathname; }

  // --- the place at the top of the page --------------------------------------------------------
  function setUp() {
    var main = document.querySelector("main") || document.body;
    area = el("div", "xz-offline-area");
    banner = el("div", "");  // an alert only while it shows (pages and tests look for the visible .alert)
    banner.setAttribute("role", "status");
    banner.setAttribute("data-testid", "offline-banner");
    banner.hidden = true;
    notice = el("div", "");
    notice.setAttribute("role", "status");
    notice.setAttribute("aria-live", "polite");
    notice.setAttribute("data-testid", "offline-notice");
    notice.hidden = true;
    outbox = el("details", "");
    outbox.setAttribute("data-testid", "outbox");
    outbox.hidden = true;
    area.appendChild(banner);
    area.appendChild(notice);
    area.appendChild(outbox);
    main.insertBefore(area, main.firstChild);
  }

  function showBanner() {
    var offline = !navigator.onLine;
    banner.textContent = "";
    if (!offline && savedCopy === null) { banner.hidden = true; banner.className = ""; return; }
    banner.appendChild(el("strong", "", "离线"));
    var said = savedCopy !== null
      ? "这是手机上保存的页面" + (when(savedCopy) ? "（" + when(savedCopy) + "）" : "") +
        (offline ? "，填写的内容会先存在手机上" : "；网络已恢复")
      : "现在没有网络，填写的内容会先存在手机上，有信号时自动发送";
    banner.appendChild(el("span", "", said));
    if (!offline && savedCopy !== null) {
      var again = el("button", "btn btn-sm btn-outline-dark xz-tap ms-auto", "刷新");
      again.type = "button";
      again.addEventListener("click", function () { location.reload(); });
      banner.appendChild(again);
    }
    banner.className = "alert alert-warning py-2 mb-2 d-flex align-items-center gap-2 flex-wrap";
    banner.hidden = false;
  }

  // Notes pile up (saved…, then sent…), the last three kept.
  function say(text, kind) {
    notice.className = "alert alert-" + (kind || "success") + " py-2 mb-2";
    notice.appendChild(el("div", "", text));
    while (notice.childNodes.length > 3) notice.removeChild(notice.firstChild);
    notice.hidden = false;
  }

  // --- what waits ------------------------------------------------------------------------------
  function describe(item) {
    var photos = item.fields.filter(function (f) { return typeof f[1] !== "string"; }).length;
    return (item.label || "记录") + " · " + when(item.created) + (photos ? " · " + photos + " 张照片" : "");
  }

  function showOutbox() {
    return Q.list().then(function (items) {
      // Nobody logged in (the login page of a shared phone): show no one's records.
      items = user ? items.filter(function (i) { return !i.owner || i.owner === user; }) : [];
      var open = outbox.open;
      outbox.textContent = "";
      if (!items.length) { outbox.hidden = true; outbox.className = ""; return items; }
      var refused = items.filter(function (i) { return i.status === "refused"; }).length;
      var summary = el("summary", "xz-tap d-flex align-items-center fw-semibold",
        "待发送 " + items.length + " 条" + (refused ? "（" + refused + " 条未被接受）" : ""));
      outbox.className = "alert " + (refused ? "alert-danger" : "alert-info") + " py-1 mb-2";
      outbox.appendChild(summary);
      var list = el("ul", "list-unstyled mb-1");
      items.forEach(function (item) {
        var li = el("li", "border-top py-2");
        li.setAttribute("data-testid", "outbox-item");
        li.appendChild(el("div", "", describe(item)));
        if (item.status === "refused") {
          li.appendChild(el("div", "small text-danger", "服务器未接受：" + (item.message || "原因不明")));
          var row = el("div", "d-flex gap-2 mt-1");
          var retry = el("button", "btn btn-sm btn-outline-primary xz-tap", "再发一次");
          retry.type = "button";
          retry.addEventListener("click", function () { Q.retry(item.id).then(send); });
          var drop = el("button", "btn btn-sm btn-outline-danger xz-tap", "删除");
          drop.type = "button";
          drop.addEventListener("click", function () {
            if (window.confirm("删除后这条记录不会再发送，确定删除吗？")) Q.remove(item.id).then(showOutbox);
          });
          row.appendChild(retry);
          row.appendChild(drop);
          li.appendChild(row);
        } else {
          li.appendChild(el("div", "small text-muted", item.message || "等待信号，有网络时自动发送"));
        }
        list.appendChild(li);
      });
      outbox.appendChild(list);
      outbox.open = open || refused > 0;
      outbox.hidden = false;
      return items;
    });
  }

  var sending = false;
  function send() {
    if (!navigator.onLine || sending || !user) return Promise.resolve();
    sending = true;
    return Q.flush({ owner: user, login: loginUrl }).then(function (outcome) {
      if (outcome.sent) say("已发送 " + outcome.sent + " 条保存在手机上的记录");
      if (outcome.refused) say(outcome.refused + " 条记录服务器未接受，请看下面的原因", "danger");
    }).catch(function () { /* kept for the next try */ }).then(function () {
      sending = false;
      return showOutbox();
    });
  }

  // --- the forms -------------------------------------------------------------------------------
  function freshKeys(form) {
    form.querySelectorAll('input[name="submission_id"]').forEach(function (i) { i.value = Q.newId(); });
  }

  // A saved page was made when it was last online: its "now" defaults are old, and its submission
  // id may have been used already.
  function refreshSavedForm(form) {
    freshKeys(form);
    var now = new Date();
    var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    form.querySelectorAll('input[type="datetime-local"], input[type="date"]').forEach(function (input) {
      if (input.value !== input.defaultValue || !input.value) return;
      if (input.max && input.max < today) input.max = input.type === "date" ? today : today + "T23:59";
      input.value = input.type === "date" ? today : today + "T" + pad(now.getHours()) + ":" + pad(now.getMinutes());
    });
  }

  function labelOf(form) {
    var h = document.querySelector("main h1") || document.querySelector("h1");
    return form.getAttribute("data-offline-label") || (h ? h.textContent.replace(/\s+/g, " ").trim() : document.title);
  }

  function actionOf(form) {
    var url = new URL(form.action || location.href, location.href);
    url.searchParams.delete("xz_queued");
    return url.href;
  }

  function queue(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) { data = new FormData(form); }
    return Q.add(actionOf(form), data, { label: labelOf(form), owner: user }).then(function () {
      syncLater();
      return keptHere();
    }).then(function (kept) {
      if (kept) {
        // A clean form from the phone's copy, whatever state the page's own widgets keep.
        var url = new URL(location.href);
        url.searchParams.set("xz_queued", "1");
        location.replace(url.href);
        return;
      }
      form.reset();
      freshKeys(form);
      form.querySelectorAll('input[type="file"]').forEach(function (i) {
        i.dispatchEvent(new Event("change", { bubbles: true }));
      });
      say("已保存在手机上，有信号时自动发送");
      window.scrollTo(0, 0);
      return showOutbox();
    }).catch(function () {
      say("手机存储不可用，没能保存。请有信号时再提交。", "danger");
    });
  }

  function keptHere() {
    if (!window.caches || !navigator.serviceWorker || !navigator.serviceWorker.controller) return Promise.resolve(false);
    return caches.match(location.href, { cacheName: "xz-pages", ignoreSearch: true })
      .then(function (hit) { return !!hit; }, function () { return false; });
  }

  function syncLater() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("xz-outbox");
    }).catch(function () {});
  }

  // The service worker (the one controlling this page, and the registration's active one if another)
  // forgets too: it drops the pages it is still fetching for this user and empties the kept ones. Each
  // answers when done; one that does not answer within 2 s is not waited for.
  function tellWorkers() {
    if (!("serviceWorker" in navigator) || !window.MessageChannel) return Promise.resolve();
    return navigator.serviceWorker.getRegistration().then(function (reg) {
      var all = [navigator.serviceWorker.controller, reg && reg.active];
      return Promise.all(all.filter(function (w, i) { return w && all.indexOf(w) === i; }).map(function (w) {
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = function () { resolve(); };
          w.postMessage({ type: "forget" }, [channel.port2]);
          window.setTimeout(resolve, 2000);
        });
      }));
    }).catch(function () {});
  }

  function forgetEverything() {
    var jobs = [Q.clear(user), tellWorkers()];
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k === "xz-pages"; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    return Promise.all(jobs).catch(function () {});
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || ev.defaultPrevented) return;
    if (logoutUrl && pathOf(form.action) === logoutUrl) {
      ev.preventDefault();
      Q.list().then(function (items) {
        var mine = items.filter(function (i) { return !i.owner || i.owner === user; });
        if (mine.length && !window.confirm("还有 " + mine.length + " 条记录没有发送，退出后会从手机上删除。仍要退出吗？")) return;
        forgetEverything().then(function () { form.submit(); });
      }, function () { form.submit(); });
      return;
    }
    if (!form.hasAttribute("data-offline-form") || navigator.onLine) return;
    // Without network: keep it in the phone. With network the form goes as usual, and the service
    // worker queues it if the send fails on the way.
    ev.preventDefault();
    queue(form, ev.submitter);
  });

  // --- start -----------------------------------------------------------------------------------
  setUp();
  showBanner();
  var forms = document.querySelectorAll("form[data-offline-form]");
  if (savedCopy !== null) forms.forEach(refreshSavedForm);
  var params = new URLSearchParams(location.search);
  if (params.has("xz_queued")) {
    // The service worker kept a form whose send failed on the way and brought the page back.
    forms.forEach(freshKeys);
    say("已保存在手机上，有信号时自动发送");
    params.delete("xz_queued");
    history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
  }
  window.addEventListener("online", function () { showBanner(); send(); });
  window.addEventListener("offline", showBanner);
  try { new BroadcastChannel(Q.CHANNEL).onmessage = function () { showOutbox(); }; } catch (e) { /* old browser */ }
  showOutbox().then(function (items) { if (items.length) send(); });
  window.setInterval(function () { if (!outbox.hidden) send(); }, 30000);

  if ("serviceWorker" in navigator && swUrl && window.isSecureContext) {
    navigator.serviceWorker.register(swUrl, { scope: "/" }).catch(function () {});
    if (user && savedCopy === null && navigator.onLine) {
      // Keep the field pages this page links to (a worker's visit forms), for use without signal.
      navigator.serviceWorker.ready.then(function (reg) {
        var urls = Array.prototype.map.call(document.querySelectorAll("a[href]"), function (a) { return a.href; });
        if (reg.active) reg.active.postMessage({ type: "warm", urls: urls, user: user });
      }).catch(function () {});
    }
  }
})();
