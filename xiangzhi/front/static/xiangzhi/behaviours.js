// Behaviours pages declare with data attributes instead of inline handlers (onchange=, onsubmit=),
// which the Content-Security-Policy refuses to run. Listening on the document covers parts htmx
// swaps in later.
//   <select data-autosubmit>      sends its form when the choice changes
//   <form data-confirm="问题？">    asks first; "取消" sends nothing
//   <button data-large-toggle>    large type (大字模式) on or off, remembered on this phone for a year
//   <button data-pick-for="#category" data-pick-value="road_light">
//                                 one tap chooses that value in the select; the pressed one shows it
(function () {
  // A table wider than the phone scrolls inside its box: reachable by keyboard too (WCAG 2.1.1).
  function scrollablesFocusable(root) {
    (root || document).querySelectorAll(".table-responsive:not([tabindex])").forEach(function (el) {
      el.tabIndex = 0;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scrollablesFocusable(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { scrollablesFocusable(ev.target.parentNode || document); });
  document.addEventListener("click", function (ev) {
    var button = ev.target instanceof Element ? ev.target.closest("[data-large-toggle]") : null;
    if (!button) return;
    var on = !document.documentElement.classList.contains("xz-large");
    document.documentElement.classList.toggle("xz-large", on);
    // A cookie, so the server draws the next page large at once (no flash of small type).
    document.cookie = "xz_large=" + (on ? "1" : "0") + "; max-age=31536000; path=/; SameSite=Lax";
    document.querySelectorAll("[data-large-toggle]").forEach(function (b) { b.setAttribute("aria-pressed", String(on)); });
  });
  document.addEventListener("click", function (ev) {
    var chip = ev.target instanceof Element ? ev.target.closest("[data-pick-for]") : null;
    if (!chip) return;
    var select = document.querySelector(chip.getAttribute("data-pick-for"));
    if (!select) return;
    select.value = chip.getAttribute("data-pick-value");
    var group = chip.closest("[role=group]") || chip.parentNode;
    group.querySelectorAll("[data-pick-for]").forEach(function (b) {
      var on = b === chip;
      b.setAttribute("aria-pressed", String(on));
      b.classList.toggle("btn-success", on);
      b.classList.toggle("btn-outline-success", !on);
    });
  });
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  // Capture phase: the question comes before htmx or any other listener on the form sends it.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);
})();
