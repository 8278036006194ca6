/* Live preview: after the officer stops typing, post the page's form to its
   preview endpoint (which saves nothing) and show the recomputed figures. */
(function () {
  "use strict";
  var timer = null;
  var pending = null;

  function show(figures, projectId) {
    var values = Object.assign({}, figures);
    if (projectId && figures.projects && figures.projects[projectId]) {
      var table = figures.projects[projectId];
      Object.keys(table).forEach(function (key) { values["project_" + key] = table[key]; });
    }
    Object.keys(values).forEach(function (key) {
      if (typeof values[key] === "object") { return; }
      document.querySelectorAll('[data-figure="' + key + '"]').forEach(function (element) {
        var text = String(values[key]);
        var unit = element.getAttribute("data-unit");
        element.textContent = unit && text !== "—" ? text + unit : text;
      });
    });
  }

  function note(text) {
    var element = document.querySelector("[data-preview-note]");
    var panel = document.querySelector("[data-summary]");
    if (!element) { return; }
    element.hidden = !text;
    element.textContent = text || "";
    if (panel) { panel.classList.toggle("previewing", Boolean(text)); }
  }

  function preview(form) {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: pending.signal
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (data.valid) {
        show(data.figures, form.getAttribute("data-project"));
        note("以上为按本页尚未保存的内容试算的结果，保存后生效。");
      } else if (data.invalid_fields) {
        note("本页有 " + data.invalid_fields + " 处填写不符合要求，暂不能试算；保存时会标出。");
      } else if (data.message) {
        note(data.message);
      }
    }).catch(function () { /* a preview is optional: ignore network errors */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("part-form");
    if (!form || !form.getAttribute("data-preview-url")) { return; }
    var fieldset = form.querySelector("fieldset");
    if (fieldset && fieldset.disabled) { return; }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { preview(form); }, 800);
    });
  });
}());
