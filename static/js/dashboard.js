// The bureau's dashboard: each <canvas data-chart data-table="ID"> is drawn with Chart.js from the table #ID printed
// beside it (rows: a label in the row header, a figure in each cell's data-value; series named by the header
// cells' data-series). The tables stay on the page for screen readers and printing; the charts are a picture of
// them. No data comes from anywhere else, and nothing runs inline (the CSP allows scripts from 'self' only).
(function () {
  if (typeof Chart === "undefined") { return; }
  var colours = ["#1d5fa8", "#d9822b", "#3b8f4b", "#8e44ad"];
  document.querySelectorAll("canvas[data-chart][data-table]").forEach(function (canvas) {
    var table = document.getElementById(canvas.dataset.table);
    if (!table) { return; }
    var series = Array.prototype.map.call(table.querySelectorAll("thead [data-series]"), function (cell) {
      return cell.dataset.series;
    });
    var labels = [];
    var values = series.map(function () { return []; });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var header = row.querySelector("th");
      var cells = row.querySelectorAll("td[data-value]");
      if (!header || cells.length === 0) { return; }
      labels.push(header.textContent.trim());
      cells.forEach(function (cell, i) { if (values[i]) { values[i].push(Number(cell.dataset.value)); } });
    });
    new Chart(canvas, {
      type: canvas.dataset.chart,
      data: {
        labels: labels,
        datasets: series.map(function (name, i) {
          return { label: name, data: values[i], backgroundColor: colours[i % colours.length] };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: series.length > 1 } } }
    });
  });
})();
