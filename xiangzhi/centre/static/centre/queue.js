// The dispatch queue: tick every case of the page at once and keep the count of those ticked beside
// the bulk actions (no inline handlers under the CSP).
(function () {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const boxes = () => Array.from(form.querySelectorAll("input[name=ids]"));
  const all = form.querySelector("[data-select-all]");
  const count = form.querySelector("[data-selected-count]");
  function update() {
    const ticked = boxes().filter((b) => b.checked).length;
    if (count) count.textContent = String(ticked);
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  }
  form.addEventListener("change", (ev) => {
    if (ev.target === all) boxes().forEach((b) => { b.checked = all.checked; });
    update();
  });
  update();
})();
