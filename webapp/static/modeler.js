// The draft editor: bpmn-js modeler; 保存草稿 posts the XML and shows the check result.
(function () {
  "use strict";
  var el = document.getElementById("modeler");
  var modeler = new window.BpmnJS({ container: el, keyboard: { bindTo: document } });
  var status = document.getElementById("save-status");
  var problems = document.getElementById("problems");
  var csrf = document.querySelector("meta[name=csrf-token]").content;

  function showProblems(list) {
    problems.innerHTML = "";
    if (!list.length) {
      problems.className = "alert alert-success";
      problems.textContent = "校验通过：可以运行测试场景后发布";
      return;
    }
    problems.className = "alert alert-danger";
    var ul = document.createElement("ul");
    ul.className = "mb-0";
    list.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
    problems.appendChild(ul);
  }

  async function load() {
    var response = await fetch(el.dataset.xmlUrl, { credentials: "same-origin" });
    await modeler.importXML(await response.text());
    modeler.get("canvas").zoom("fit-viewport");
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
    showProblems(body.problems);
    document.querySelectorAll("[data-stale-after-save]").forEach(function (node) { node.hidden = true; });
  }

  document.getElementById("save-draft").addEventListener("click", save);
  load();
})();
