/* While the report frozen at approval is being rendered, an element with
   data-report-pending="N" is on the page: reload it every N seconds so the
   公开 button and the download appear by themselves. Never while someone is
   typing (a half-written 取消审核 reason would be lost): try again later. */
(function () {
  "use strict";
  var marker = document.querySelector("[data-report-pending]");
  if (!marker) { return; }
  var delay = (parseInt(marker.getAttribute("data-report-pending"), 10) || 5) * 1000;

  function typing() {
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return true; }
    var boxes = document.querySelectorAll("textarea");
    for (var i = 0; i < boxes.length; i++) {
      // A read-only page's texts (disabled) are not being typed.
      if (!boxes[i].matches(":disabled") && boxes[i].value.trim() !== "") { return true; }
    }
    return false;
  }

  function tick() {
    if (typing()) { window.setTimeout(tick, delay); return; }
    window.location.reload();
  }

  window.setTimeout(tick, delay);
}());
