// 统计报表: draws the charts whose data the page carries in data-chart (JSON); a click on a bar of a unit opens
// that unit's statistics (drill-down). ECharts is served from node_modules (/vendor/echarts), no CDN.
/* global echarts */
(function () {
  "use strict";
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = JSON.parse(element.dataset.chart);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: spec.title, left: "center", textStyle: { fontSize: 14 } },
      // richText: the tooltip draws on the canvas; HTML tooltips would carry style attributes the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { bottom: 0, show: spec.series.length > 1 },
      grid: { left: 48, right: 16, top: 40, bottom: 56 },
      xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: spec.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "total", data: s.data };
      })
    });
    if (spec.links && spec.links.length) {
      chart.on("click", function (params) {
        var link = spec.links[params.dataIndex];
        if (link) { window.location.href = link; }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.drawn = "1";
  });
})();
