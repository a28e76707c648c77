/* The tickets pages: the live region is not refreshed while someone is typing in it (what they typed would be
   lost), a form is sent only once, and countdowns turn red when their time passes. */
(function () {
  "use strict";
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#ticket-live form")) { dirty = true; }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var live = document.getElementById("ticket-live");
    if (!live || event.detail.elt !== live) { return; }
    var active = document.activeElement;
    var typing = active && live.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    if (dirty || typing) { event.preventDefault(); }
  });
  document.addEventListener("htmx:afterSwap", function () { dirty = false; });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
  function late() {
    var now = Date.now();
    document.querySelectorAll(".tk-sla[data-due]").forEach(function (el) {
      if (Date.parse(el.getAttribute("data-due")) < now) { el.classList.add("tk-sla-breached"); }
    });
  }
  document.addEventListener("DOMContentLoaded", late);
  setInterval(late, 15000);
})();
