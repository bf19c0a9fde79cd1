// The send queue, shared by the pages (offline.js) and the service worker (sw.js): a form filled
// without signal is kept in IndexedDB, fields and photos alike, under its submission id, and sent
// later to the same address. The server answers a resend of the same id with the first result, so
// a send whose answer was lost can be repeated safely.
//
// Each item: {id, url, label, fields: [[name, string | File]], owner, created, status, message}
// status "waiting" (to be sent) or "refused" (the server said no; kept with its message).
(function (root) {
  "use strict";
  var DB = "xiangzhi-offline", STORE = "outbox", CHANNEL = "xz-outbox";
  var LOGIN_HINT = "请登录后自动发送";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), store = tx.objectStore(STORE), result;
        var req = work(store);
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function changed() {
    try { new BroadcastChannel(CHANNEL).postMessage("changed"); } catch (e) { /* old browser */ }
  }

  function list() {
    return run("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }

  function put(item) { return run("readwrite", function (s) { return s.put(item); }).then(changed); }
  function remove(id) { return run("readwrite", function (s) { return s.delete(id); }).then(changed); }

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // [name, value] pairs of a FormData, files kept as File objects (IndexedDB stores Blobs); the
  // CSRF token is left out: a fresh one is fetched before sending.
  function fieldsOf(formData) {
    var fields = [];
    formData.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (typeof value !== "string" && value.size === 0 && !value.name) return;  // no file picked
      fields.push([name, value]);
    });
    return fields;
  }

  function add(url, formData, extra) {
    var fields = fieldsOf(formData);
    var id = "";
    fields.forEach(function (f) { if (f[0] === "submission_id" && typeof f[1] === "string") id = f[1]; });
    if (!id) { id = newId(); fields.push(["submission_id", id]); }
    var item = { id: id, url: url, fields: fields, created: Date.now(), status: "waiting", message: "",
                 label: (extra && extra.label) || "", owner: (extra && extra.owner) || "" };
    return put(item).then(function () { return item; });
  }

  function text(html) {
    return html.replace(/<[^>]*>/g, "").replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
  }

  // The Chinese reason a page gives for not taking a form: its error alerts and field errors.
  function refusal(html) {
    var found = [], re = /<div[^>]*class="[^"]*(?:alert-danger|text-danger|invalid-feedback|errorlist)[^"]*"[^>]*>([\s\S]*?)<\/div>/g, m;
    while ((m = re.exec(html)) !== null) {
      var t = text(m[1]);
      if (t && found.indexOf(t) < 0) found.push(t);
    }
    if (!found.length) {
      var title = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html);
      if (title) found.push(text(title[1]));
    }
    return found.join("；");
  }

  function pathOf(url) { return new URL(url, root.location.href).pathname; }

  function lock(work) {
    if (root.navigator && root.navigator.locks) return root.navigator.locks.request(CHANNEL, work);
    return work();
  }

  // One item: fetch the form page again (a fresh CSRF token, and who is logged in now), then post.
  // Answers "sent", "refused", "offline", "login", "other-user" or "later" (the server failed).
  function sendOne(item, login) {
    return fetch(item.url, { credentials: "same-origin", cache: "no-store" }).then(function (page) {
      if (login && pathOf(page.url) === login) return "login";
      return page.text().then(function (html) {
        if (page.status >= 500) return "later";
        if (!page.ok) {
          item.status = "refused";
          item.message = refusal(html) || ("服务器未接受（" + page.status + "）");
          return put(item).then(function () { return "refused"; });
        }
        var user = /<meta name="xz-user" content="([^"]*)"/.exec(html);
        if (item.owner && user && user[1] !== item.owner) return "other-user";
        var token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
        var body = new FormData();
        if (token) body.append("csrfmiddlewaretoken", token[1]);
        item.fields.forEach(function (f) {
          if (typeof f[1] === "string") body.append(f[0], f[1]);
          else body.append(f[0], f[1], f[1].name || "photo.jpg");
        });
        return fetch(item.url, { method: "POST", body: body, credentials: "same-origin", cache: "no-store" })
          .then(function (resp) {
            if (login && pathOf(resp.url) === login) return "login";
            if (resp.status >= 500) return "later";
            // Every form answers a success with a redirect and a refusal with the form again.
            if (resp.ok && resp.redirected) return remove(item.id).then(function () { return "sent"; });
            return resp.text().then(function (answer) {
              item.status = "refused";
              item.message = refusal(answer) || ("服务器未接受（" + resp.status + "）");
              return put(item).then(function () { return "refused"; });
            });
          });
      });
    }).catch(function () { return "offline"; });
  }

  // Send what waits, oldest first; stop at the first sign of no network. ``owner`` (the page's user)
  // claims items queued by the service worker, which does not know who is logged in.
  function flush(options) {
    options = options || {};
    return lock(function () {
      return list().then(function (items) {
        var outcome = { sent: 0, refused: 0, waiting: 0 };
        var chain = Promise.resolve(true);
        items.forEach(function (item) {
          chain = chain.then(function (go) {
            if (!go) { outcome.waiting += 1; return false; }
            if (item.status !== "waiting") return true;
            if (options.owner && item.owner && item.owner !== options.owner) return true;
            var claim = options.owner && !item.owner ? (item.owner = options.owner, put(item)) : Promise.resolve();
            return claim.then(function () { return sendOne(item, options.login); }).then(function (result) {
              if (result === "sent") outcome.sent += 1;
              else if (result === "refused") outcome.refused += 1;
              else outcome.waiting += 1;
              if (result === "login" && item.message !== LOGIN_HINT) {
                item.message = LOGIN_HINT;
                return put(item).then(function () { return false; });
              }
              return result !== "offline" && result !== "login" && result !== "later";
            });
          });
        });
        return chain.then(function () { return outcome; });
      });
    });
  }

  function retry(id) {
    return run("readonly", function (s) { return s.get(id); }).then(function (item) {
      if (!item) return;
      item.status = "waiting";
      item.message = "";
      return put(item);
    });
  }

  function clear(owner) {
    return list().then(function (items) {
      return Promise.all(items.filter(function (i) { return !owner || !i.owner || i.owner === owner; })
        .map(function (i) { return run("readwrite", function (s) { return s.delete(i.id); }); }));
    }).then(changed);
  }

  root.XZQueue = { add: add, list: list, remove: remove, retry: retry, clear: clear, flush: flush,
                   newId: newId, CHANNEL: CHANNEL, refusal: refusal };
})(self);
