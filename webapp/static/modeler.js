// The draft editor: the bpmn-js modeler with XueJi's panel, translation and problem marks (build/editor.js);
// 保存草稿 posts the XML, and the check result of the save is marked on the canvas.
(function () {
  "use strict";
  var el = document.getElementById("modeler");
  var status = document.getElementById("save-status");
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var editor = window.XueJiEditor;
  var modeler = new window.BpmnJS({
    container: el,
    moddleExtensions: editor.moddleExtensions,
    additionalModules: editor.additionalModules,
    xuejiPanel: { container: "#properties-panel", choicesUrl: el.dataset.choicesUrl },
    xuejiProblems: { checkUrl: el.dataset.checkUrl, list: "#problems", csrf: csrf }
  });

  // fit-viewport would put the pool's name under the palette: fit the diagram into the part of the canvas beside it.
  function fitBesidePalette() {
    var canvas = modeler.get("canvas");
    var box = canvas.viewbox();
    var palette = el.querySelector(".djs-palette");
    var left = (palette ? palette.getBoundingClientRect().right - el.getBoundingClientRect().left : 0) + 12;
    var scale = Math.min((box.outer.width - left - 12) / box.inner.width, (box.outer.height - 24) / box.inner.height, 1);
    canvas.viewbox({ x: box.inner.x - left / scale, y: box.inner.y - 12 / scale, width: box.outer.width / scale,
      height: box.outer.height / scale });
  }

  async function load() {
    var response = await fetch(el.dataset.xmlUrl, { credentials: "same-origin" });
    await modeler.importXML(await response.text());
    fitBesidePalette();
    el.dataset.rendered = "true";
  }

  async function save() {
    status.textContent = "正在保存…";
    var result = await modeler.saveXML({ format: true });
    var response = await fetch(el.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/xml", "X-CSRFToken": csrf },
      body: result.xml
    });
    var body = await response.json();
    status.textContent = body.saved ? "已保存草稿（" + new Date().toLocaleTimeString() + "）" : "未保存";
    modeler.get("xuejiProblems").show(body.problems);
    document.querySelectorAll("[data-stale-after-save]").forEach(function (node) { node.hidden = true; });
  }

  // 在图上显示: a test scenario's path on the canvas, the lanes it visits and where it stops.
  function play(button) {
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    registry.getAll().forEach(function (e) {
      ["xj-done", "xj-current", "xj-path"].forEach(function (m) { canvas.removeMarker(e.id, m); });
    });
    var split = function (v) { return (v || "").split(",").filter(function (id) { return registry.get(id); }); };
    var done = split(button.dataset.done);
    var current = split(button.dataset.current);
    done.forEach(function (id) { canvas.addMarker(id, "xj-done"); });
    current.forEach(function (id) { canvas.addMarker(id, "xj-current"); });
    var passed = window.xjMarkPath(canvas, registry, done.concat(current));
    var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; }).filter(function (lane) {
      return (lane.businessObject.flowNodeRef || []).some(function (node) { return passed.indexOf(node.id) >= 0; });
    }).map(function (lane) { return lane.businessObject.name || lane.id; });
    var name = function (id) { return registry.get(id).businessObject.name || id; };
    document.getElementById("play-summary").textContent = "经过泳道：" + (lanes.join("、") || "无") + "；" +
      (current.length ? "停在：" + current.map(name).join("、") : "已办结");
  }

  document.querySelectorAll("[data-play]").forEach(function (button) {
    button.addEventListener("click", function () { play(button); });
  });
  document.getElementById("save-draft").addEventListener("click", save);
  window.xuejiModeler = modeler; // for the browser tests
  load();
})();
