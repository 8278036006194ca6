/* Live preview: after the officer stops typing, post the page's form to its
   preview endpoint (which computes in memory and saves nothing) and show the
   recomputed figures together with the findings list rendered by the server,
   so the panel never shows figures of one state and findings of another.

   The panel carries data-preview-state: "pending" from the first keystroke
   until the answer to the latest input is shown, then "idle" (browser tests
   wait on it instead of sleeping). */
(function () {
  "use strict";
  var timer = null;
  var pending = null;

  function setState(state) {
    var panel = document.querySelector("[data-summary]");
    if (panel) { panel.setAttribute("data-preview-state", state); }
  }

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
        if (element.classList.contains("grade")) { element.className = "grade grade-" + text; }
      });
    });
  }

  function showFindings(html) {
    var container = document.querySelector("[data-findings]");
    if (!container || typeof html !== "string") { return; }
    var before = container.querySelector("details");
    var wasOpen = before ? before.open : null;
    container.innerHTML = html;
    var after = container.querySelector("details");
    // Keep the list open or closed as the officer left it.
    if (after && wasOpen !== null) { after.open = wasOpen; }
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
    var request = new AbortController();
    pending = request;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: request.signal
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (data.valid) {
        show(data.figures, form.getAttribute("data-project"));
        showFindings(data.findings_html);
        note("以上得分和检查结果为按本页尚未保存的内容试算的结果，保存后生效。");
      } else if (data.invalid_fields) {
        note("本页有 " + data.invalid_fields + " 处填写不符合要求，暂不能试算；保存时会标出。");
      } else if (data.message) {
        note(data.message);
      }
    }).catch(function () {
      /* a preview is optional: a network error or a superseded request shows nothing */
    }).then(function () {
      // Only the answer to the latest input ends the wait.
      if (pending === request && timer === null) {
        pending = null;
        setState("idle");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("part-form");
    if (!form || !form.getAttribute("data-preview-url")) { return; }
    var fieldset = form.querySelector("fieldset");
    if (fieldset && fieldset.disabled) { return; }
    form.addEventListener("input", function () {
      setState("pending");
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        timer = null;
        preview(form);
      }, 800);
    });
  });
}());
