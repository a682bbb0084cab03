// The draft editor: the bpmn-js modeler with XueJi's panel, translation and problem marks (build/editor.js);
// 保存草稿 posts the XML, and the check result of the save is marked on the canvas; 试走 plays a path on it.
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
    xuejiPanel: { container: "#properties-panel", choicesUrl: el.dataset.choicesUrl, previewUrl: el.dataset.previewUrl, csrf: csrf },
    xuejiProblems: { checkUrl: el.dataset.checkUrl, list: "#problems", csrf: csrf },
    xuejiSimulation: { output: "#simulation" }
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
    var split = function (v) { return (v || "").split(",").filter(Boolean); };
    document.getElementById("play-summary").textContent = modeler.get("xuejiSimulation").showScenario(
      split(button.dataset.done), split(button.dataset.current), window.xjMarkPath);
  }

  document.querySelectorAll("[data-play]").forEach(function (button) {
    button.addEventListener("click", function () { play(button); });
  });
  document.getElementById("save-draft").addEventListener("click", save);
  document.getElementById("simulate").addEventListener("click", function () { modeler.get("xuejiSimulation").start(); });
  window.xuejiModeler = modeler; // for the browser tests
  load();
})();
