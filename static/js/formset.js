/* Add, move and remove rows of the filing formsets. The pages work without
   this script (blank extra rows, 顺序 numbers, 删除 boxes); it only saves typing. */
(function () {
  "use strict";

  function rowHasContent(row) {
    var id = row.querySelector('input[type=hidden][name$="-id"]');
    if (id && id.value) { return true; }
    var fields = row.querySelectorAll("input, textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (/-(ORDER|DELETE)$/.test(field.name) || field.type === "hidden") { continue; }
      if (field.type === "checkbox") { if (field.checked) { return true; } continue; }
      if (field.value.trim() !== "") { return true; }
    }
    return false;
  }

  /* 顺序 follows the rows as they stand; blank extra rows keep no number so
     that they stay unchanged and are ignored on save. */
  function renumber(body) {
    var n = 0;
    body.querySelectorAll("tr.formset-row").forEach(function (row) {
      var order = row.querySelector('input[name$="-ORDER"]');
      if (!order) { return; }
      if (rowHasContent(row)) { n += 1; order.value = n; } else { order.value = ""; }
    });
  }

  /* A table holds at most MAX_NUM_FORMS rows (evaluations/services/limits.py);
     the server refuses more, so the button stops there and says why. */
  function atLimit(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!total || !max) { return false; }
    return parseInt(total.value, 10) >= parseInt(max.value, 10);
  }

  function showLimit(button) {
    var prefix = button.getAttribute("data-add-row");
    var full = atLimit(prefix);
    button.disabled = full;
    var note = button.parentNode.querySelector(".row-limit-note");
    if (full && !note) {
      var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS").value;
      note = document.createElement("span");
      note.className = "row-limit-note small text-muted ms-2";
      note.setAttribute("role", "status");
      note.textContent = "此表最多 " + max + " 行，不能再增加；可填写表中的空白行，或先删除不需要的行并保存。";
      button.parentNode.appendChild(note);
    } else if (!full && note) {
      note.remove();
    }
  }

  function addRow(prefix) {
    var template = document.getElementById(prefix + "-template");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var body = document.querySelector('tbody[data-formset="' + prefix + '"]');
    if (!template || !total || !body || atLimit(prefix)) { return; }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.querySelector("tr");
    body.appendChild(row);
    total.value = String(index + 1);
    showJsOnly(row);
    var first = row.querySelector("input[type=text], textarea");
    if (first) { first.focus(); }
  }

  function moveRow(row, direction) {
    var sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling) { return; }
    if (direction === "up") { row.parentNode.insertBefore(row, sibling); }
    else { row.parentNode.insertBefore(sibling, row); }
    row.classList.remove("row-moved");
    void row.offsetWidth;
    row.classList.add("row-moved");
    renumber(row.parentNode);
  }

  function showJsOnly(root) {
    root.querySelectorAll(".js-only").forEach(function (element) { element.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showJsOnly(document);
    document.querySelectorAll("[data-add-row]").forEach(showLimit);
    document.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) {
        event.preventDefault();
        addRow(add.getAttribute("data-add-row"));
        showLimit(add);
        return;
      }
      var move = event.target.closest("[data-move]");
      if (move) { event.preventDefault(); moveRow(move.closest("tr"), move.getAttribute("data-move")); }
    });
    document.addEventListener("change", function (event) {
      var target = event.target;
      var row = target.closest("tr.formset-row");
      if (!row) { return; }
      if (/-DELETE$/.test(target.name)) { row.classList.toggle("marked-delete", target.checked); }
      if (/-not_applicable$/.test(target.name)) { row.classList.toggle("not-applicable", target.checked); }
    });
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var question = form.getAttribute("data-confirm");
        if (question && !window.confirm(question)) { event.preventDefault(); return; }
        form.querySelectorAll("tbody[data-formset]").forEach(renumber);
      });
    });
  });
}());
