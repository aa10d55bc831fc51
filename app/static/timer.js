// Speed-to-lead timers on the cards and the lead page. The server renders the seconds since the
// lead turned hot (data-elapsed, by the server's clock, so a skewed browser clock does not
// matter); this counts on from when the element appeared. No inline script needed.
(function () {
  "use strict";
  function text(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) {
      var m = Math.floor((s % 3600) / 60);
      return Math.floor(s / 3600) + " h " + (m < 10 ? "0" : "") + m + " min";
    }
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer[data-elapsed]").forEach(function (el) {
      if (!el.dataset.seenAt) el.dataset.seenAt = String(now);
      var elapsed = Number(el.dataset.elapsed) + (now - Number(el.dataset.seenAt)) / 1000;
      var out = el.querySelector(".elapsed");
      if (out && !isNaN(elapsed)) out.textContent = text(elapsed);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();
