// The path a case took, drawn on a bpmn-js canvas: used by the case page's diagram (diagram.js) and by the draft
// editor when a test scenario is played on the diagram (modeler.js). Returns the ids of the nodes passed.
(function () {
  "use strict";
  // The history names tasks, not the gateways and events between them: a node counts as passed when a passed
  // node leads into it and it leads on to a passed node (start events only need the latter). Then every flow
  // between two passed nodes is part of the path.
  window.xjMarkPath = function (canvas, registry, stepIds) {
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
    return Object.keys(passed);
  };
})();
