// The dashboard's charts, drawn by the vendored ECharts from the page's JSON block.
// The same numbers are in the tables below the charts; without script the page still
// says everything.
(function () {
  "use strict";
  var block = document.getElementById("dashboard-data");
  if (!block || !window.echarts) { return; }
  var data = JSON.parse(block.textContent);
  var label = data.labels;  // the series' names, in the page's language
  var font = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    chart.setOption(option);
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  }

  draw("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: [label.created, label.resolved], top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 28 },
    xAxis: { type: "category", data: data.trend.days, boundaryGap: false },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: label.created, type: "line", data: data.trend.created, smooth: true,
        areaStyle: { opacity: 0.12 }, itemStyle: { color: "#1570ef" } },
      { name: label.resolved, type: "line", data: data.trend.resolved, smooth: true,
        itemStyle: { color: "#12b76a" } }
    ]
  });

  draw("chart-categories", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: [label.tickets, label.overdue], top: 0 },
    grid: { left: 120, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.categories.names, inverse: true,
              axisLabel: { width: 110, overflow: "truncate" } },
    series: [
      { name: label.tickets, type: "bar", data: data.categories.total, itemStyle: { color: "#1d4e89" } },
      { name: label.overdue, type: "bar", data: data.categories.overdue, itemStyle: { color: "#d92d20" } }
    ]
  });

  draw("chart-cells", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: [label.tickets, label.open], top: 0 },
    grid: { left: 130, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.cells.names, inverse: true,
              axisLabel: { width: 120, overflow: "truncate" } },
    series: [
      { name: label.tickets, type: "bar", data: data.cells.total, itemStyle: { color: "#7a5af8" } },
      { name: label.open, type: "bar", data: data.cells.open, itemStyle: { color: "#f79009" } }
    ]
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
}());
