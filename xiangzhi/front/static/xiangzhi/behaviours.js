// Behaviours pages declare with data attributes instead of inline handlers (onchange=, onsubmit=),
// which the Content-Security-Policy refuses to run. Listening on the document covers parts htmx
// swaps in later.
//   <select data-autosubmit>      sends its form when the choice changes
//   <form data-confirm="问题？">    asks first; "取消" sends nothing
(function () {
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
