// The running patrol's sheets: 上报事件, 走访 and 写日志 open over the patrol page instead of leaving
// it, so the recorder (patrol.js) goes on underneath. The report and visit forms are the site's own
// pages in an <iframe> (?embed=1: no menu); when one of them has been sent the sheet closes, the
// patrol page says what was done and refreshes its list of the patrol's reports and visits.
(function () {
  "use strict";
  var sheet = document.getElementById("patrol-sheet");
  if (!sheet) return;
  var title = document.getElementById("patrol-sheet-title");
  var body = sheet.querySelector(".xz-sheet-body");
  var frame = sheet.querySelector("[data-pane=frame]");
  var due = document.getElementById("patrol-due");
  var flash = document.getElementById("patrol-flash");
  var activity = document.getElementById("patrol-activity");
  var map = document.querySelector("[data-patrol-map]");
  var opener = null;
  var CASE_PAGE = /^\/cases\/(\d+)\/$/;

  function pane(name) {
    sheet.querySelectorAll("[data-pane]").forEach(function (p) { p.hidden = p.dataset.pane !== name; });
    body.classList.toggle("xz-sheet-body-frame", name === "frame");
  }

  function open(name, heading) {
    title.textContent = heading;
    sheet.hidden = false;
    document.body.classList.add("xz-sheet-open");
    sheet.dataset.open = name;
    sheet.querySelector("[data-sheet-close]").focus();
  }

  function close() {
    sheet.hidden = true;
    delete sheet.dataset.open;
    document.body.classList.remove("xz-sheet-open");
    frame.removeAttribute("src");
    frame.dataset.loaded = "";
    if (opener) opener.focus();
  }

  function say(text) {
    flash.textContent = text;
    flash.hidden = false;
    flash.scrollIntoView({ block: "nearest" });
  }

  function showFrame(url, heading) {
    frame.dataset.loaded = "";
    frame.src = url;
    pane("frame");
    open("frame", heading);
  }

  function refreshActivity() {
    if (typeof htmx === "undefined") return Promise.resolve();
    return htmx.ajax("GET", activity.dataset.url, { target: activity, swap: "innerHTML" }).catch(function () {});
  }

  // A report starts where the patrol last was: the form reads lat/lon from its address.
  function reportUrl(base) {
    var lat = map && map.dataset.lastLat, lon = map && map.dataset.lastLon;
    return lat && lon ? base + "&lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon) : base;
  }

  document.querySelectorAll("[data-sheet-open]").forEach(function (button) {
    button.addEventListener("click", function () {
      opener = button;
      var kind = button.dataset.sheetOpen;
      if (kind === "report") {
        showFrame(reportUrl(button.dataset.url), "上报事件");
      } else if (kind === "visit") {
        pane("visit");
        open("visit", "走访：选择人员");
        due.textContent = "正在加载应访名单…";
        if (typeof htmx !== "undefined") {
          htmx.ajax("GET", button.dataset.url, { target: due, swap: "innerHTML" }).catch(function () {
            due.textContent = "网络不通，应访名单暂时打不开。";
          });
        }
      } else {
        pane("log");
        open("log", "写日志");
      }
    });
  });

  sheet.querySelector("[data-sheet-close]").addEventListener("click", close);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !sheet.hidden) close();
  });

  // A person picked from the due list opens the visit form in the same sheet.
  due.addEventListener("click", function (e) {
    var link = e.target.closest("[data-sheet-frame]");
    if (!link) return;
    e.preventDefault();
    showFrame(link.href, link.dataset.sheetTitle || "走访");
  });

  // Each page the frame lands on: a case's page means the report was taken; a page marked
  // data-embed-done (the visit's) names what was done.
  frame.addEventListener("load", function () {
    if (!frame.getAttribute("src")) return;
    var doc, path;
    try {
      doc = frame.contentDocument;
      path = frame.contentWindow.location.pathname;
    } catch (err) {
      return;  // not our page: leave the sheet as it is
    }
    frame.dataset.loaded = path;
    var reported = CASE_PAGE.exec(path);
    var done = doc && doc.querySelector("[data-embed-done]");
    if (reported) {
      close();
      refreshActivity().then(function () {
        var row = activity.querySelector('[data-case-id="' + reported[1] + '"]');
        say("已上报：" + (row ? row.dataset.title : "事件已提交"));
      });
    } else if (done && done.dataset.embedDone === "visit") {
      close();
      say("已走访：" + done.dataset.label);
      refreshActivity();
    }
  });

  // The log is a fragment of this page, saved by htmx; once saved the sheet closes.
  document.body.addEventListener("htmx:load", function () {
    if (sheet.dataset.open === "log" && sheet.querySelector("[data-pane=log] [data-log-saved]")) {
      close();
      say("工作日志已保存");
    }
  });
})();
