// The score chart on the lead page: a tapped or focused point shows what changed and its
// breakdown under the chart (hover shows the same through the SVG <title>).
(function () {
  "use strict";
  function show(event) {
    var dot = event.target.closest ? event.target.closest(".dot") : null;
    if (!dot) return;
    var title = dot.querySelector("title");
    var out = document.querySelector(".point-detail");
    if (title && out) out.textContent = title.textContent;
  }
  document.addEventListener("click", show);
  document.addEventListener("focusin", show);
})();
