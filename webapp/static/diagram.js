// Renders every .bpmn-canvas with bpmn-js (viewer or modeler, whichever script the page loaded) and marks
// elements named in its data attributes: data-current, data-done, data-added, data-changed, data-removed.
// With data-path, the flows between the steps done (and the current ones) are drawn as the path taken.
(function () {
  "use strict";
  var MARKERS = { current: "xj-current", done: "xj-done", added: "xj-added", changed: "xj-changed", removed: "xj-removed" };

  function ids(el, name) {
    var value = el.dataset[name];
    return value ? value.split(",").filter(Boolean) : [];
  }

  async function render(el) {
    var viewer = new window.BpmnJS({ container: el });
    var response = await fetch(el.dataset.xmlUrl, { credentials: "same-origin" });
    try {
      await viewer.importXML(await response.text());
    } catch (err) {
      el.textContent = "流程图无法显示：" + err.message;
      return;
    }
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    Object.keys(MARKERS).forEach(function (name) {
      ids(el, name).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, MARKERS[name]); }
      });
    });
    if (el.dataset.path) { window.xjMarkPath(canvas, registry, ids(el, "done").concat(ids(el, "current"))); }
    el.dataset.rendered = "true";
  }

  document.querySelectorAll(".bpmn-canvas[data-xml-url]").forEach(render);
})();
