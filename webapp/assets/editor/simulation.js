/*
 * 试走: a token simulation of the diagram as it is on the canvas now (unsaved edits included). A token leaves the
 * start event and follows the sequence flows; at an exclusive, inclusive or event-based gateway with several exits
 * the policy officer chooses which flow it takes (each shown with its condition, or as the default); a parallel
 * gateway splits the token and joins the branches again. The canvas marks every element and flow passed and where
 * the token stops; beside it, the steps in order with their lane, form, state label and working days.
 *
 * Why a simulation in the page rather than a dry run of the engine: a dry run must start a real case with real start
 * data, and the service tasks then run the registry's handlers for real (a key-data change needs an uploaded proof
 * before 检查变更申请 lets the case on), so a draft could only be played as far as some stored data allowed. The
 * questions a policy officer asks of a new path — which steps, in which lanes, which state label, where does it end —
 * are read from the diagram; whether the conditions route as drawn is the saved scenarios' job (运行测试场景, the
 * engine on the draft). Why not npm's bpmn-js-token-simulation: it animates tokens on timers (a browser test would
 * wait on animations), its toggle, log and gateway widgets are English, and it knows nothing of lanes as roles, forms
 * or state labels, which is what the summary must say.
 */

const MARKERS = ["xj-done", "xj-current", "xj-path"];
const CHOOSING = ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:EventBasedGateway", "bpmn:ComplexGateway"];
const MAX_VISITS = 500; // a loop drawn without a gateway would otherwise never stop

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function property(bo, name) {
  const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
  const properties = values.find((value) => value.$type === "spiffworkflow:Properties");
  const found = properties && properties.get("properties").find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function sequenceFlows(connections) {
  return (connections || []).filter((c) => c.type === "bpmn:SequenceFlow");
}

export default function Simulation(config, eventBus, canvas, elementRegistry) {
  this._config = config || {};
  this._canvas = canvas;
  this._registry = elementRegistry;
  this._shown = false;
  this._reset();
  // An edit changes the paths: a played path no longer says anything about the diagram.
  eventBus.on("commandStack.changed", () => {
    if (!this._shown) return;
    this.clear();
    this._write([el("p", "small text-warning mb-0", "流程图已修改，请重新试走。")]);
  });
}

Simulation.$inject = ["config.xuejiSimulation", "eventBus", "canvas", "elementRegistry"];

Simulation.prototype._reset = function () {
  this._queue = []; // tokens still to move: {node, via}
  this._visited = []; // node ids in the order the tokens reached them
  this._flows = new Set();
  this._arrived = {}; // parallel joins: gateway id -> incoming flow ids a token came by
  this._stops = []; // {id, text}
  this._choices = []; // gateways waiting for the policy officer to choose a flow
  this._visits = 0;
};

/** Clear the markers of a simulation or a played scenario. */
Simulation.prototype.clear = function () {
  this._registry.getAll().forEach((e) => MARKERS.forEach((m) => this._canvas.removeMarker(e.id, m)));
  this._shown = false;
};

/** The lanes (their names, in the diagram's order) that hold any of the given flow nodes. */
Simulation.prototype.lanes = function (ids) {
  const wanted = new Set(ids);
  // Nested lanes: the innermost ones are the roles that do the steps.
  return this._registry
    .filter((e) => e.type === "bpmn:Lane")
    .filter((lane) => !(lane.businessObject.childLaneSet && lane.businessObject.childLaneSet.lanes.length))
    .filter((lane) => (lane.businessObject.flowNodeRef || []).some((node) => wanted.has(node.id)))
    .map((lane) => lane.businessObject.name || lane.id);
};

/** A played scenario (its history and open tasks) on the canvas: 在图上显示. */
Simulation.prototype.showScenario = function (done, current, markPath) {
  this.clear();
  const known = (ids) => ids.filter((id) => this._registry.get(id));
  done = known(done);
  current = known(current);
  done.forEach((id) => this._canvas.addMarker(id, "xj-done"));
  current.forEach((id) => this._canvas.addMarker(id, "xj-current"));
  const passed = markPath(this._canvas, this._registry, done.concat(current));
  this._shown = true;
  const lanes = this.lanes(passed);
  return `经过泳道：${lanes.join("、") || "无"}；${current.length ? `停在：${current.map((id) => this._name(id)).join("、")}` : "已办结"}`;
};

Simulation.prototype._name = function (id) {
  const element = this._registry.get(id);
  return (element && element.businessObject.name) || id;
};

/** 试走: a token from the start event, moved as far as it goes without a choice. */
Simulation.prototype.start = function () {
  this.clear();
  this._reset();
  const starts = this._registry.filter(
    (e) => e.type === "bpmn:StartEvent" && !sequenceFlows(e.incoming).length && e.parent && !/SubProcess$/.test(e.parent.type),
  );
  // A plain start event (or one with a start form) is how a case begins; message starts are other flows' doing.
  const start = starts.find((e) => !(e.businessObject.eventDefinitions || []).length) || starts[0];
  if (!start) {
    this._write([el("p", "small text-danger mb-0", "流程图中没有开始事件，无法试走。")]);
    return;
  }
  this._queue.push({ node: start, via: null });
  this._run();
};

/** The policy officer's choice at a waiting gateway: its token takes this flow. */
Simulation.prototype.choose = function (flowId) {
  const flow = this._registry.get(flowId);
  const index = flow ? this._choices.indexOf(flow.source) : -1;
  if (index < 0) return;
  this._choices.splice(index, 1);
  this._take(flow);
  this._run();
};

Simulation.prototype._take = function (flow) {
  this._flows.add(flow.id);
  this._queue.push({ node: flow.target, via: flow.id });
};

Simulation.prototype._run = function () {
  // Every token moves as far as it can; the gateways that need a choice wait together.
  while (this._queue.length) {
    const { node, via } = this._queue.shift();
    if (++this._visits > MAX_VISITS) {
      this._stops.push({ id: node.id, text: `${this._name(node.id)}（路径中有不经网关的循环，试走已停止）` });
      this._queue = [];
      break;
    }
    this._step(node, via);
  }
  if (!this._choices.length) {
    Object.keys(this._arrived).forEach((id) =>
      this._stops.push({ id, text: `${this._name(id)}（并行网关：其他分支没有到达）` }),
    );
  }
  this._render();
};

Simulation.prototype._step = function (node, via) {
  const bo = node.businessObject;
  const out = sequenceFlows(node.outgoing);
  const into = sequenceFlows(node.incoming);
  if (node.type === "bpmn:ParallelGateway" && into.length > 1) {
    const arrived = (this._arrived[node.id] = this._arrived[node.id] || new Set());
    if (via) arrived.add(via);
    if (arrived.size < into.length) return; // the other branches have not arrived yet
    delete this._arrived[node.id];
  }
  this._visited.push(node.id);
  if (!out.length) {
    const state = property(bo, "caseState");
    const text =
      node.type === "bpmn:EndEvent"
        ? `${this._name(node.id)}（结束${state ? `，状态「${state}」` : ""}）`
        : `${this._name(node.id)}（没有出口连线，流程在此中断）`;
    this._stops.push({ id: node.id, text });
    return;
  }
  if (CHOOSING.includes(node.type) && out.length > 1) {
    this._choices.push(node);
    return;
  }
  out.forEach((flow) => this._take(flow));
};

Simulation.prototype._describe = function (id) {
  const element = this._registry.get(id);
  const bo = element.businessObject;
  const parts = [];
  const lane = this.lanes([id])[0];
  if (lane) parts.push(`泳道「${lane}」`);
  const form = property(bo, "formKey");
  if (form) parts.push(`表单 ${form}`);
  const state = property(bo, "caseState");
  if (state) parts.push(`状态「${state}」`);
  const days = property(bo, "dueWorkingDays");
  if (days) parts.push(`时限 ${days} 个工作日`);
  const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
  const operator = values.find((value) => value.$type === "spiffworkflow:ServiceTaskOperator");
  if (operator) parts.push(`处理程序 ${operator.id}`);
  return `${this._name(id)}${parts.length ? `（${parts.join("，")}）` : ""}`;
};

Simulation.prototype._render = function () {
  this.clear();
  this._shown = true;
  const visited = [...new Set(this._visited)];
  visited.forEach((id) => this._canvas.addMarker(id, "xj-done"));
  this._flows.forEach((id) => this._canvas.addMarker(id, "xj-path"));
  const stops = [...this._stops.map((stop) => stop.id), ...this._choices.map((gateway) => gateway.id)];
  stops.forEach((id) => {
    this._canvas.removeMarker(id, "xj-done");
    this._canvas.addMarker(id, "xj-current");
  });

  const nodes = [];
  const lanes = el("p", "small mb-1", `经过泳道：${this.lanes(this._visited).join("、") || "无"}`);
  lanes.dataset.lanes = "";
  nodes.push(lanes);
  const steps = el("ol", "small mb-1 xueji-steps");
  this._visited
    .filter((id) => /Task$|SubProcess$|CallActivity$/.test(this._registry.get(id).type))
    .forEach((id) => {
      const item = el("li", "", this._describe(id));
      item.dataset.element = id;
      steps.appendChild(item);
    });
  nodes.push(steps);
  this._choices.forEach((gateway) => {
    nodes.push(el("p", "small mb-1", `停在「${this._name(gateway.id)}」：请选择走哪条连线`));
    const choices = el("div", "mb-1 xueji-choices");
    choices.dataset.gateway = gateway.id;
    sequenceFlows(gateway.outgoing).forEach((flow) => {
      const bo = flow.businessObject;
      const isDefault = gateway.businessObject.default === bo;
      const condition = bo.conditionExpression && bo.conditionExpression.body;
      const label = `${bo.name || this._name(flow.target.id)} → ${this._name(flow.target.id)}`;
      const button = el("button", "btn btn-outline-primary btn-sm me-1 mb-1", label);
      button.type = "button";
      button.title = isDefault ? "默认连线" : condition ? `条件：${condition}` : "没有条件";
      button.dataset.flow = flow.id;
      button.appendChild(el("span", "d-block small text-muted", isDefault ? "（默认）" : condition || "（没有条件）"));
      button.addEventListener("click", () => this.choose(flow.id));
      choices.appendChild(button);
    });
    nodes.push(choices);
  });
  if (this._stops.length || !this._choices.length) {
    const stop = el("p", "small mb-0", `停在：${this._stops.map((s) => s.text).join("、") || "无"}`);
    stop.dataset.stop = "";
    nodes.push(stop);
  }
  this._write(nodes);
};

Simulation.prototype._write = function (nodes) {
  const box = this._config.output && document.querySelector(this._config.output);
  if (!box) return;
  box.replaceChildren(...nodes);
};
