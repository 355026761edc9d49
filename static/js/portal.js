/* Small behaviours shared by the portal's pages (no inline scripts). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action='print']");
    if (button) { window.print(); }
  });
  // An error summary takes the focus, so that a screen reader announces it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
