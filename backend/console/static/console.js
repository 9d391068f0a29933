// The queue from the keyboard: j / k (or ↓ / ↑) move between rows, Enter opens the row,
// x ticks its box, / jumps to the search box. "Select all" ticks the page's rows.
(function () {
  "use strict";
  var table = document.getElementById("queue");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-id]"));
  var current = -1;

  function select(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) { rows[current].classList.remove("current"); }
    current = index;
    rows[current].classList.add("current");
    rows[current].querySelector("a.open").focus();
  }

  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () {
      if (current >= 0 && rows[current]) { rows[current].classList.remove("current"); }
      current = index;
      row.classList.add("current");
    });
  });

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" && event.target.type !== "checkbox" || tag === "select" ||
      tag === "textarea";
    if (typing || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "j" || event.key === "ArrowDown") {
      select(current + 1); event.preventDefault();
    } else if (event.key === "k" || event.key === "ArrowUp") {
      select(current - 1); event.preventDefault();
    } else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      box.checked = !box.checked; event.preventDefault();
    } else if (event.key === "Enter" && current >= 0 && tag !== "a" && tag !== "button") {
      window.location.href = rows[current].querySelector("a.open").href;
    } else if (event.key === "/") {
      var q = document.getElementById("q");
      if (q) { q.focus(); event.preventDefault(); }
    }
  });

  var all = document.getElementById("check-all");
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (row) {
        row.querySelector("input[type=checkbox]").checked = all.checked;
      });
    });
  }
}());
