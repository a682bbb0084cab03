// Phone-sized screens: every table of a page is labelled with its column headers, so that below 576 px
// (xueji.css) each row reads as a card of "header: value" lines instead of a squeezed grid.
// Tables that must keep their grid (diagram diffs, wide matrices) carry data-no-stack.
(function () {
  "use strict";
  function label(table) {
    if (table.hasAttribute("data-no-stack") || !table.tHead) return;
    var headRow = table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) return;
    var names = [];
    Array.prototype.forEach.call(headRow.cells, function (cell) {
      var span = cell.colSpan || 1;
      for (var i = 0; i < span; i += 1) names.push(cell.textContent.trim());
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.colSpan === 1 && names[column] && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("xj-stack");
  }
  document.querySelectorAll("main table.table").forEach(label);
})();
