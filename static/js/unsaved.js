/* Nothing typed is lost: leaving a filing page whose form holds changes not
   yet saved — a tab or any other link, another form, back, closing the
   window — asks first. Saving the page's own form (保存草稿) does not ask,
   and neither does the leave the officer has just confirmed. */
(function () {
  "use strict";
  var QUESTION = "本页有未保存的修改，确定离开吗？";
  // Long enough for the navigation the officer confirmed to start; after it
  // the guard is back, for a link that only downloaded a file.
  var LEAVE_GRACE_MS = 2000;
  var form = null;
  var initial = null;
  var refused = false;
  var leaving = false;

  /* What the officer can change, in page order: a moved row changes the
     order of the rows' hidden ids; a blank row added changes nothing. */
  function state() {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.matches(":disabled")) { return; }
      var type = field.type;
      if (type === "submit" || type === "button" || type === "reset" || type === "file") { return; }
      if (type === "hidden") {
        if (!/-id$/.test(field.name)) { return; }
      } else if (type === "checkbox" || type === "radio") {
        if (!field.checked) { return; }
      } else if (field.value === "") {
        return;
      }
      parts.push(field.name + "=" + field.value);
    });
    return parts.join("\n");
  }

  function dirty() {
    return !leaving && (refused || state() !== initial);
  }

  function leave() {
    leaving = true;
    window.setTimeout(function () { leaving = false; }, LEAVE_GRACE_MS);
  }

  /* A link that replaces this page, not one to a place on it. */
  function leavesPage(link) {
    if (link.hasAttribute("download")) { return false; }
    var target = link.getAttribute("target");
    if (target && target !== "_self") { return false; }
    var url = new URL(link.href, window.location.href);
    if (url.protocol !== "http:" && url.protocol !== "https:") { return false; }
    var here = window.location.href.split("#")[0];
    return !(url.hash && url.href.split("#")[0] === here);
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("part-form");
    if (!form || form.querySelector("fieldset:disabled")) { return; }
    initial = state();
    // A page shown again after a refused save (a field in red, or saved by
    // someone else meanwhile) holds what the officer typed, none of it saved.
    refused = Boolean(form.querySelector(".is-invalid") || document.getElementById("stale"));

    window.addEventListener("beforeunload", function (event) {
      if (!dirty()) { return; }
      event.preventDefault();
      event.returnValue = "";  // what older Chromium and Firefox look for
    });

    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0) { return; }
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      var link = event.target.closest("a[href]");
      if (!link || !leavesPage(link) || !dirty()) { return; }
      if (window.confirm(QUESTION)) { leave(); } else { event.preventDefault(); }
    });

    document.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (event.target === form) { leave(); return; }
      if (!dirty()) { return; }
      if (window.confirm(QUESTION)) { leave(); } else { event.preventDefault(); }
    });
  });
}());
