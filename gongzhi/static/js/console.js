/* The console's live search: the results drop down under the box (htmx fills #search-live); Escape or a click
   elsewhere folds them away. Without JavaScript the box is a plain GET form. */
(function () {
  "use strict";
  function close() {
    var live = document.getElementById("search-live");
    if (live) { live.innerHTML = ""; }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".console-search")) { close(); }
  });
})();
