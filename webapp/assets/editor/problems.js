// Problems on the canvas: while the policy officer edits, the XML is checked as publishing would check it
// (POST …/check, nothing stored); each problem is marked on the element it names and listed under the canvas,
// where a click selects that element.

const DELAY_MS = 800;

export default function Problems(config, eventBus, canvas, overlays, elementRegistry, selection, bpmnjs) {
  this._config = config || {};
  this._canvas = canvas;
  this._overlays = overlays;
  this._registry = elementRegistry;
  this._selection = selection;
  this._bpmnjs = bpmnjs;
  this._marked = [];
  this._timer = null;
  this._sequence = 0;
  if (!this._config.checkUrl) return;
  eventBus.on("import.done", () => this.schedule(0));
  eventBus.on("commandStack.changed", () => this.schedule(DELAY_MS));
}

Problems.$inject = ["config.xuejiProblems", "eventBus", "canvas", "overlays", "elementRegistry", "selection", "bpmnjs"];

Problems.prototype.schedule = function (delay) {
  clearTimeout(this._timer);
  this._timer = setTimeout(() => this.check(), delay);
};

Problems.prototype.check = async function () {
  const sequence = ++this._sequence;
  const list = document.querySelector(this._config.list);
  if (list) list.dataset.checking = "true";
  const { xml } = await this._bpmnjs.saveXML({ format: false });
  const response = await fetch(this._config.checkUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/xml", "X-CSRFToken": this._config.csrf },
    body: xml,
  });
  if (sequence !== this._sequence || !response.ok) return; // a newer check is on its way
  this.show((await response.json()).problems);
};

Problems.prototype.show = function (problems) {
  this._marked.forEach((id) => this._canvas.removeMarker(id, "xueji-problem"));
  this._overlays.remove({ type: "xueji-problem" });
  this._marked = [];
  const byElement = {};
  problems.forEach((problem) =>
    problem.elements.forEach((id) => (byElement[id] = byElement[id] || []).push(problem.text)),
  );
  Object.entries(byElement).forEach(([id, texts]) => {
    if (!this._registry.get(id)) return;
    this._canvas.addMarker(id, "xueji-problem");
    this._marked.push(id);
    const badge = document.createElement("button");
    badge.type = "button";
    badge.className = "xueji-problem-badge";
    badge.textContent = String(texts.length);
    badge.title = texts.join("\n");
    badge.dataset.element = id;
    badge.addEventListener("click", () => this.select(id));
    this._overlays.add(id, "xueji-problem", { position: { top: -10, right: 10 }, html: badge });
  });
  this._list(problems);
};

Problems.prototype.select = function (id) {
  const element = this._registry.get(id);
  if (!element) return;
  this._selection.select(element);
  this._canvas.scrollToElement(element);
};

Problems.prototype._list = function (problems) {
  const box = document.querySelector(this._config.list);
  if (!box) return;
  delete box.dataset.checking;
  box.replaceChildren();
  if (!problems.length) {
    box.className = "alert alert-success";
    box.textContent = "校验通过：可以运行测试场景后发布";
    return;
  }
  box.className = "alert alert-danger";
  const ul = document.createElement("ul");
  ul.className = "mb-0";
  problems.forEach((problem) => {
    const li = document.createElement("li");
    if (problem.elements.length && this._registry.get(problem.elements[0])) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "btn btn-link p-0 text-start align-baseline xueji-problem-link";
      link.textContent = problem.text;
      link.title = "在流程图中选中此元素";
      link.dataset.element = problem.elements[0];
      link.addEventListener("click", () => this.select(problem.elements[0]));
      li.appendChild(link);
    } else {
      li.textContent = problem.text;
    }
    ul.appendChild(li);
  });
  box.appendChild(ul);
};
