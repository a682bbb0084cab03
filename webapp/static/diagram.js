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
    if (el.dataset.path) { markPath(canvas, registry, ids(el, "done").concat(ids(el, "current"))); }
    el.dataset.rendered = "true";
  }

  // The history names tasks, not the gateways and events between them: a node counts as passed when a passed
  // node leads into it and it leads on to a passed node (start events only need the latter). Then every flow
  // between two passed nodes is part of the path.
  function markPath(canvas, registry, stepIds) {
    var passed = {};
    stepIds.forEach(function (id) { passed[id] = true; });
    var nodes = registry.filter(function (e) { return !e.waypoints && e.type !== "label" && e.incoming; });
    var sources = function (n) { return n.incoming.map(function (c) { return c.source.id; }); };
    var targets = function (n) { return n.outgoing.map(function (c) { return c.target.id; }); };
    var isPassed = function (id) { return passed[id] === true; };
    for (var round = 0, changed = true; changed && round < 10; round += 1) {
      changed = false;
      nodes.forEach(function (n) {
        if (passed[n.id] || /Task$|SubProcess$|CallActivity$/.test(n.type)) { return; }
        var into = n.incoming.length === 0 || sources(n).some(isPassed);
        if (into && targets(n).some(isPassed)) { passed[n.id] = true; changed = true; }
      });
    }
    registry.filter(function (e) { return e.waypoints && e.source && e.target; }).forEach(function (c) {
      if (passed[c.source.id] && passed[c.target.id]) { canvas.addMarker(c.id, "xj-path"); }
    });
  }

  document.querySelectorAll(".bpmn-canvas[data-xml-url]").forEach(render);
})();
