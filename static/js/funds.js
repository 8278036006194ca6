/* 年度资金: beside 全年预算数 and 全年执行数, the sum of the splits that must
   equal them (validation.py: 按收入性质分 = 全年预算数, 按支出性质分 =
   全年执行数), recomputed as the officer types. The page states the rule in
   words too, so nothing depends on this script. */
(function () {
  "use strict";

  // The same forms evaluations/validators.py: typed_number accepts for an
  // amount: full-width digits and punctuation, 1,380.50, spaces, 万元 after.
  var UNITS = ["万元", "万"];
  var NUMBER = /^([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?$/;

  function typedForms(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code >= 0xFF01 && code <= 0xFF5E) { out += String.fromCharCode(code - 0xFEE0); continue; }
      switch (code) {
        case 0x3000: case 0x00A0: out += " "; break;
        case 0x2212: case 0xFE63: out += "-"; break;
        case 0xFE50: out += ","; break;
        case 0xFE52: case 0x3002: out += "."; break;
        default: out += text.charAt(i);
      }
    }
    return out;
  }

  /* An amount in cents (a whole Number: amounts have at most 14 digits, well
     inside exact integers), null when empty, NaN when not an amount. */
  function cents(text) {
    var cleaned = typedForms(text).trim();
    if (cleaned === "") { return null; }
    for (var i = 0; i < UNITS.length; i++) {
      if (cleaned.slice(-UNITS[i].length) === UNITS[i]) {
        cleaned = cleaned.slice(0, -UNITS[i].length).trim();
        break;
      }
    }
    var match = NUMBER.exec(cleaned);
    if (!match || !/\d/.test(match[2] + (match[3] || ""))) { return NaN; }
    var fraction = (match[3] || ".").slice(1);
    if (fraction.length > 2) { return NaN; }
    var whole = match[2].replace(/,/g, "") || "0";
    var value = parseInt(whole, 10) * 100 + parseInt((fraction + "00").slice(0, 2), 10);
    return match[1] === "-" ? -value : value;
  }

  function format(value) {
    var sign = value < 0 ? "-" : "";
    var absolute = Math.abs(value);
    var fraction = String(absolute % 100);
    return sign + String(Math.floor(absolute / 100)) + "." + (fraction.length < 2 ? "0" : "") + fraction;
  }

  function show(output) {
    var group = output.getAttribute("data-sum-total");
    var groupLabel = output.getAttribute("data-sum-label");
    var totalLabel = output.getAttribute("data-total-label");
    var total = cents(output.closest("td").querySelector("input").value);
    var sum = 0;
    var anyPart = false;
    var unreadable = false;
    document.querySelectorAll('[data-sum-part="' + group + '"] input').forEach(function (input) {
      var value = cents(input.value);
      if (value === null) { return; }
      anyPart = true;
      if (isNaN(value)) { unreadable = true; } else { sum += value; }
    });
    var text = "";
    var tone = "text-secondary";
    if (unreadable) {
      text = groupLabel + "中有无法识别的金额，暂不能合计";
      tone = "text-danger";
    } else if (anyPart) {
      text = groupLabel + "合计 " + format(sum);
      if (total === null) {
        text += "（" + totalLabel + "未填）";
      } else if (isNaN(total)) {
        text += "（" + totalLabel + "无法识别）";
        tone = "text-danger";
      } else if (sum === total) {
        text += "，与" + totalLabel + "一致";
        tone = "text-success";
      } else {
        text += "，比" + totalLabel + (sum < total ? "少 " : "多 ") + format(Math.abs(total - sum));
        tone = "text-danger";
      }
    }
    output.textContent = text;
    output.hidden = text === "";
    output.classList.remove("text-secondary", "text-success", "text-danger");
    output.classList.add(tone);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var outputs = document.querySelectorAll("[data-sum-total]");
    if (!outputs.length) { return; }
    function update() { outputs.forEach(show); }
    update();
    document.addEventListener("input", update);
  });
}());
