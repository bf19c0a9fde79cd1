// The report form's places near the pin: 「路灯 · 17号杆（35米）」, nearest first. Picking one names the
// facility in the report and snaps the pin to it; moving the pin afterwards unpicks it.
(function () {
  var el = document.getElementById("pick-map"), box = document.getElementById("near-places");
  var input = document.getElementById("place");
  if (!el || !box || !input) { return; }
  var list = box.querySelector("[data-near-list]");
  var timer = null, asked = 0, snapping = null;

  function pick(p, button) {
    input.value = String(p.id);
    list.querySelectorAll("button").forEach(function (b) {
      var on = b === button;
      b.classList.toggle("btn-primary", on); b.classList.toggle("btn-outline-primary", !on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    snapping = p;
    el.dispatchEvent(new CustomEvent("xz:snap", { detail: { lat: p.lat, lon: p.lon } }));
  }
  function show(places) {
    list.textContent = "";
    box.hidden = !places.length;
    places.forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn xz-tap text-start " + (String(p.id) === input.value ? "btn-primary" : "btn-outline-primary");
      b.setAttribute("aria-pressed", String(p.id) === input.value ? "true" : "false");
      b.dataset.place = String(p.id);
      b.textContent = p.text;  // names typed by people: text, never HTML
      b.addEventListener("click", function () { pick(p, b); });
      list.appendChild(b);
    });
  }
  function onPin(d) {
    if (snapping && Math.abs(snapping.lat - d.lat) < 1e-6 && Math.abs(snapping.lon - d.lon) < 1e-6) {
      snapping = null;
      return;  // the pin went to the picked place: keep the list and the choice
    }
    snapping = null;
    input.value = "";  // moved away from the picked place
    clearTimeout(timer);
    timer = setTimeout(function () {
      var ask = ++asked;
      fetch(box.dataset.url + "?lon=" + d.lon.toFixed(6) + "&lat=" + d.lat.toFixed(6), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { places: [] }; })
        .catch(function () { return { places: [] }; })  // offline: the report goes without a place
        .then(function (data) { if (ask === asked) { show(data.places || []); } });
    }, 300);
  }
  el.addEventListener("xz:pin", function (e) { onPin(e.detail); });
  // On a slow line this file may arrive after the pin was already put (the phone's position, or the
  // form sent back): ask for the places near where it stands now.
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  if (lat && lon && lat.value && lon.value) {
    var kept = input.value;  // a place already picked (the form sent back) stays picked
    onPin({ lat: parseFloat(lat.value), lon: parseFloat(lon.value) });
    input.value = kept;
  }
})();
