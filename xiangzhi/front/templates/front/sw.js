{% autoescape off %}// 乡治 service worker (served at /sw.js so it controls the whole site).
// - The static shell is kept at installation; static files are then served from it.
// - The field pages are fetched network-first and kept, so they open without signal (marked as an
//   offline copy). Only GET pages that answered 200 without a redirect (a logged-out visitor is
//   redirected to the login page) are kept; API answers and POSTs never are. A kept page names its
//   user (<meta name="xz-user">): one without a user (no session) is not kept, nor one of another user
//   than the page that asked for it, and the kept pages are one user's (a page of someone else's
//   empties them).
// - Logging out (the page's "forget" message, the logout POST), the login page (after logging out, or a
//   session that ended) empty the kept pages: nothing personal stays on a shared phone. Each also starts
//   a new generation: a page still on its way, fetched before, is dropped when it arrives.
// - A form post that fails for want of network is put in the send queue (offline-queue.js).
"use strict";
var VERSION = "__VERSION__";
var SHELL_CACHE = "xz-shell-" + VERSION, PAGE_CACHE = "xz-pages";
var SHELL = {{ shell }};
var PAGES = {{ pages }}.map(function (p) { return new RegExp(p); });
var DATA = {{ data }};
var LOGIN = {{ login }};
var LOGOUT = {{ logout }};
var OWNER = "/xz-pages-owner";  // in the page cache: whose pages it holds (never a page's address)
var STATIC = {{ static_prefix }};
var NEVER = {{ never }};
importScripts({{ queue_script }});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    // One by one: a file that cannot be fetched does not stop the rest.
    return Promise.all(SHELL.map(function (url) { return cache.add(url).catch(function () { return null; }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("xz-shell-") === 0 && k !== SHELL_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(url) {
  return PAGES.some(function (re) { return re.test(url.pathname); });
}

function never(url) {
  return NEVER.some(function (p) { return url.pathname.indexOf(p) === 0; });
}

// The page cache's writes and deletions run one after another, so a deletion never lands in the middle
// of a save. ``generation`` grows with each forgetting; a save carries the one its fetch began in.
var generation = 0, writes = Promise.resolve();

function serial(work) {
  var done = writes.then(work);
  writes = done.catch(function () {});
  return done;
}

function wipe() {
  generation += 1;
  return caches.delete(PAGE_CACHE);
}

function forget() {
  generation += 1;  // at once: a save that arrives from now on was begun before, and is dropped
  return serial(function () { return caches.delete(PAGE_CACHE); });
}

function pathOf(href) {
  return new URL(href, self.location.href).pathname;
}

function userOf(html) {
  var m = /<meta name="xz-user" content="([^"]+)"/.exec(html);
  return m ? m[1] : "";
}

// Keep a page (or a kept page's data) fetched in generation ``since``; ``user``: who the page that asked
// for it belongs to, when known (the "warm" message).
function keep(request, response, since, user) {
  if (response && response.url && pathOf(response.url) === LOGIN) return forget();  // the session ended
  if (!response || response.status !== 200 || response.redirected || response.type !== "basic") return Promise.resolve();
  if ((response.headers.get("Cache-Control") || "").indexOf("no-store") >= 0) return Promise.resolve();
  var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
  var headers = new Headers(response.headers);
  headers.set("X-Xz-Saved-At", new Date().toISOString());
  return response.clone().blob().then(function (body) {
    return (html ? body.text() : Promise.resolve("")).then(function (text) {
      var owner = html ? userOf(text) : "";
      if (html && (!owner || (user && owner !== user))) return null;  // no session, or not the asker's
      return serial(function () {
        if (since !== generation) return null;  // logged out (or the login page) since it was fetched
        return caches.open(PAGE_CACHE).then(function (cache) {
          return cache.match(OWNER).then(function (mark) { return mark ? mark.text() : ""; }).then(function (was) {
            if (owner && was && was !== owner) return wipe();  // someone else's pages: keep no one's
            var puts = [cache.put(request.url, new Response(body, { status: 200, statusText: "OK", headers: headers }))];
            if (owner && !was) puts.push(cache.put(OWNER, new Response(owner)));
            return Promise.all(puts);
          });
        });
      });
    });
  });
}

// (caches.match with a cacheName does not make the cache again when logging out deleted it.)
function kept(url) {
  return caches.match(url, { cacheName: PAGE_CACHE }).then(function (hit) {
    return hit || caches.match(url, { cacheName: PAGE_CACHE, ignoreSearch: true });
  });
}

// The kept copy of a page, its <body> marked so the page shows the 离线 banner.
function offlineCopy(hit) {
  var saved = hit.headers.get("X-Xz-Saved-At") || "";
  var headers = new Headers(hit.headers);
  headers.delete("Content-Length");
  return hit.text().then(function (html) {
    html = html.replace(/<body\b/, '<body data-xz-offline-copy="' + saved + '"');
    return new Response(html, { status: 200, statusText: "OK", headers: headers });
  });
}

function offlinePage() {
  var links = [["/", "首页"], ["/cases/new/", "随手拍 / 上报"]].map(function (l) {
    return '<li><a href="' + l[0] + '">' + l[1] + "</a></li>";
  }).join("");
  var html = '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线 · 乡治</title>' +
    '<link rel="stylesheet" href="' + SHELL[0] + '"></head>' +
    '<body><main class="container p-3"><h1 class="h4">离线</h1>' +
    '<p>手机现在没有网络，这个页面还没有保存在手机上。有信号后再打开。</p><ul class="fs-5">' + links +
    "</ul></main></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'" } });
}

function navigate(event, url) {
  var request = event.request, since = generation;
  if (url.pathname === LOGIN) event.waitUntil(forget());
  if (!isPage(url)) {
    return fetch(request).catch(function () { return offlinePage(); });
  }
  return fetch(request).then(function (response) {
    event.waitUntil(keep(request, response, since, ""));
    return response;
  }).catch(function () {
    return kept(request.url).then(function (hit) { return hit ? offlineCopy(hit) : offlinePage(); });
  });
}

function labelFor(url) {
  var p = url.pathname;
  return p.indexOf("/cases/") === 0 ? "上报" : p.indexOf("/work/visits/") === 0 ? "走访"
    : p.indexOf("/points/") === 0 ? "记积分" : "记录";
}

// A form post to a field page that fails for want of network goes into the send queue; the page
// comes back (from the kept copy) saying so.
function post(event, url) {
  var copy = event.request.clone();
  return fetch(event.request).catch(function () {
    return copy.formData().then(function (form) {
      return self.XZQueue.add(url.href, form, { label: labelFor(url) });
    }).then(function () {
      if (self.registration.sync) self.registration.sync.register("xz-outbox").catch(function () {});
      var back = new URL(url.href);
      back.searchParams.set("xz_queued", "1");
      return Response.redirect(back.href, 303);
    });
  });
}

function fromShell(event) {
  return caches.match(event.request, { ignoreSearch: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(event.request).then(function (response) {
      var url = new URL(event.request.url);
      if (response.status === 200 && url.pathname.indexOf(STATIC + "plotly/") !== 0) {
        var copy = response.clone();
        event.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.put(event.request, copy); }));
      }
      return response;
    });
  });
}

// Data a kept page fetches (the report map's grid names): network first, kept with the pages.
function data(event) {
  var since = generation;
  return fetch(event.request).then(function (response) {
    event.waitUntil(keep(event.request, response, since, ""));
    return response;
  }).catch(function () {
    return kept(event.request.url).then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin || never(url)) return;
  if (request.method === "POST" && url.pathname === LOGOUT) { event.waitUntil(forget()); return; }
  if (request.method === "POST" && request.mode === "navigate" && isPage(url)) {
    event.respondWith(post(event, url));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") { event.respondWith(navigate(event, url)); return; }
  if (url.pathname.indexOf(STATIC) === 0) { event.respondWith(fromShell(event)); return; }
  if (DATA.indexOf(url.pathname) >= 0) { event.respondWith(data(event)); return; }
});

self.addEventListener("message", function (event) {
  var msg = event.data || {};
  if (msg.type === "forget") {
    // Logging out (offline.js): answered once the kept pages are gone, so the page waits for it.
    var reply = event.ports && event.ports[0];
    event.waitUntil(forget().then(function () { if (reply) reply.postMessage("forgotten"); }));
  } else if (msg.type === "warm" && Array.isArray(msg.urls) && typeof msg.user === "string" && msg.user) {
    // Pages linked from a page just seen (the day page's visit forms): kept for later, if not yet, and
    // only as that page's user's.
    var since = generation;
    var wanted = msg.urls.map(function (u) { return new URL(u, self.location.href); })
      .filter(function (u) { return u.origin === self.location.origin && isPage(u); }).slice(0, 20);
    event.waitUntil(Promise.all(wanted.map(function (u) {
      return caches.match(u.href, { cacheName: PAGE_CACHE }).then(function (hit) {
        if (hit) return null;
        var request = new Request(u.href, { credentials: "same-origin" });
        return fetch(request).then(function (r) { return keep(request, r, since, msg.user); });
      }).catch(function () { return null; });
    })));
  } else if (msg.type === "flush") {
    event.waitUntil(self.XZQueue.flush({ login: LOGIN }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "xz-outbox") event.waitUntil(self.XZQueue.flush({ login: LOGIN }));
});
{% endautoescape %}
