// "Copy citation": a button that copies the text of the element named by its data-copy.
// Progressive enhancement: without JavaScript the button stays hidden and the citation
// remains selectable text. No inline script (the CSP forbids it).
(function () {
  "use strict";
  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () { if (status) { status.textContent = button.getAttribute("data-copied"); } },
        function () {
          if (status) { status.textContent = button.getAttribute("data-failed"); }
          var range = document.createRange();
          range.selectNodeContents(target);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
      );
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
