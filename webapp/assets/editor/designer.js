/*
 * 表单设计: a user task's own form, designed in the panel (forms/designed.py): fields added, ordered and configured
 * here, written as the JSON definition in the process's extension elements (<xueji:form>), previewed through the
 * server's templates exactly as the reviewer will see it. Every change replaces the definition element through
 * `modeling.updateModdleProperties`, so it is undoable like any other edit.
 */

import { el } from "./dom.js";

const NS = "urn:xueji:form:1";
const FORM = "xueji:form";
const NAME = /^[a-z_][a-z0-9_]*$/;
const CHOICE_TYPES = ["choice", "multichoice"];
const TEXT_TYPES = ["text", "longtext"];


function processOf(bo) {
  let node = bo;
  while (node && !(node.$instanceOf && node.$instanceOf("bpmn:Process"))) node = node.$parent;
  return node;
}

export default function installDesigner(Panel) {
  // The <xueji:form> element of this process whose definition has ``key``, and the definition parsed.
  Panel.prototype._designed = function (process, key) {
    const values = (process && process.extensionElements && process.extensionElements.get("values")) || [];
    for (const node of values) {
      if (node.$type !== FORM) continue;
      try {
        const definition = JSON.parse(node.$body || "");
        if (definition && definition.key === key) return { node, definition };
      } catch (error) {
        // a broken definition is named by the check under the canvas
      }
    }
    return null;
  };

  Panel.prototype._writeForm = function (element, process, old, definition) {
    let extensions = process.extensionElements;
    if (!extensions) {
      extensions = this._bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
      this._modeling.updateModdleProperties(element, process, { extensionElements: extensions });
    }
    const node = this._moddle.createAny(FORM, NS, { $body: JSON.stringify(definition, null, 1) });
    node.$parent = extensions;
    const values = extensions.get("values").filter((value) => value !== old);
    const index = old ? extensions.get("values").indexOf(old) : values.length;
    values.splice(index, 0, node);
    this._quietly(() => this._modeling.updateModdleProperties(element, extensions, { values }));
    return node;
  };

  Panel.prototype._designer = function (element, bo) {
    const process = processOf(bo);
    if (!process) return;
    const found = this._designed(process, this._property(bo, "formKey"));
    const box = el("section", { className: "border rounded p-2 mb-2 xueji-designer" });
    box.setAttribute("data-testid", "form-designer");
    box.appendChild(el("h3", { className: "h6", text: "表单设计" }));
    this._container.appendChild(box);
    if (!found) {
      box.appendChild(el("p", { className: "form-text", text: "此步骤使用系统内置表单。需要新的填写内容时，可为它设计一张表单（不需要编程）。" }));
      const create = el("button", { type: "button", className: "btn btn-sm btn-outline-primary", text: "为此步骤设计新表单" });
      create.setAttribute("data-testid", "new-form");
      create.addEventListener("click", () => this._newForm(element, bo, process));
      box.appendChild(create);
      return;
    }
    this._formEditor(element, process, found, box);
  };

  Panel.prototype._newForm = function (element, bo, process) {
    let key = `${process.id}.${bo.id}`.toLowerCase().replace(/[^a-z0-9_.]/g, "_");
    while (this._designed(process, key) || this._choices.forms.some((f) => f.key === key)) key += "_2";
    const definition = {
      key,
      title: bo.name || "新表单",
      fields: [{ name: "opinion", label: "意见", type: "longtext", required: true, max_length: 300 }],
    };
    this._writeForm(element, process, null, definition);
    this._setProperty(element, "formKey", key);
    this._fieldIndex = 0;
    this.render();
  };

  Panel.prototype._formEditor = function (element, process, found, box) {
    const definition = found.definition;
    const current = () => this._designed(process, definition.key) || found;
    // A typed value is applied without re-rendering (the button clicked next must stay); other edits re-render.
    const save = (change, quiet) => {
      const now = current();
      const next = JSON.parse(JSON.stringify(now.definition));
      change(next);
      this._writeForm(element, process, now.node, next);
      if (!quiet) this.render();
    };
    const title = el("input", { className: "form-control form-control-sm mb-2", value: definition.title || "", id: "designer-title" });
    title.addEventListener("change", () => save((d) => (d.title = title.value.trim()), true));
    box.appendChild(el("label", { className: "form-label small mb-0", htmlFor: "designer-title", text: "表单标题" }));
    box.appendChild(title);
    box.appendChild(el("div", { className: "form-text mb-1", text: `表单标识：${definition.key}` }));

    const list = el("ol", { className: "list-group list-group-numbered mb-2 xueji-fields" });
    definition.fields.forEach((field, index) => {
      const type = (this._choices.field_types.types || {})[field.type] || field.type;
      const flags = [field.required ? "必填" : "", field.required_when ? `「${field.required_when.equals}」时必填` : ""].filter(Boolean);
      const item = el("li", { className: `list-group-item py-1 small d-flex justify-content-between align-items-center${index === this._fieldIndex ? " list-group-item-primary" : ""}` });
      item.dataset.field = field.name;
      const pick = el("button", { type: "button", className: "btn btn-link btn-sm p-0 text-start", text: `${field.label}（${field.name}，${type}${flags.length ? "，" + flags.join("，") : ""}）` });
      pick.addEventListener("click", () => {
        this._fieldIndex = index;
        this.render();
      });
      const move = (delta, text, label) => {
        const button = el("button", { type: "button", className: "btn btn-outline-secondary btn-sm py-0 px-1 ms-1", text, title: label, disabled: index + delta < 0 || index + delta >= definition.fields.length });
        button.setAttribute("aria-label", `${label}：${field.label}`);
        button.addEventListener("click", () => {
          this._fieldIndex = index + delta;
          save((d) => d.fields.splice(index + delta, 0, d.fields.splice(index, 1)[0]));
        });
        return button;
      };
      const remove = el("button", { type: "button", className: "btn btn-outline-danger btn-sm py-0 px-1 ms-1", text: "删", title: "删除字段", disabled: definition.fields.length === 1 });
      remove.setAttribute("aria-label", `删除字段：${field.label}`);
      remove.addEventListener("click", () => {
        this._fieldIndex = 0;
        save((d) => d.fields.splice(index, 1));
      });
      item.appendChild(pick);
      item.appendChild(el("span", { className: "text-nowrap" }, [move(-1, "↑", "上移"), move(1, "↓", "下移"), remove]));
      list.appendChild(item);
    });
    box.appendChild(list);

    const add = el("button", { type: "button", className: "btn btn-sm btn-outline-primary me-1 mb-2", text: "添加字段" });
    add.setAttribute("data-testid", "add-field");
    add.addEventListener("click", () => {
      let n = definition.fields.length + 1;
      while (definition.fields.some((f) => f.name === `field_${n}`)) n += 1;
      this._fieldIndex = definition.fields.length;
      save((d) => d.fields.push({ name: `field_${n}`, label: `字段${n}`, type: "text" }));
    });
    const preview = el("button", { type: "button", className: "btn btn-sm btn-outline-success mb-2", text: "预览表单" });
    preview.setAttribute("data-testid", "preview-form");
    preview.addEventListener("click", () => this._preview(current().definition, null));
    box.appendChild(add);
    box.appendChild(preview);

    const index = Math.min(this._fieldIndex || 0, definition.fields.length - 1);
    this._fieldEditor(definition, index, save, box);
    const out = el("div", { className: "mt-2 xueji-preview", id: "designer-preview" });
    out.setAttribute("data-testid", "designer-preview");
    out.setAttribute("aria-live", "polite");
    box.appendChild(out);
  };

  Panel.prototype._fieldEditor = function (definition, index, save, box) {
    const field = definition.fields[index];
    const fieldset = el("fieldset", { className: "border-top pt-2" }, [el("legend", { className: "small fw-bold mb-1", text: `字段「${field.label}」` })]);
    box.appendChild(fieldset);
    const row = (label, input, help) => {
      input.id = `designer-${input.dataset.key}`;
      if (!input.className) input.className = input.tagName === "SELECT" ? "form-select form-select-sm" : "form-control form-control-sm";
      fieldset.appendChild(el("div", { className: "mb-1" }, [el("label", { className: "form-label small mb-0", htmlFor: input.id, text: label }), input, help ? el("div", { className: "form-text", text: help }) : null]));
      return input;
    };
    const set = (key, value, quiet) => save((d) => {
      const target = d.fields[index];
      if (value === "" || value === undefined || value === null || value === false) delete target[key];
      else target[key] = value;
    }, quiet);
    const text = (label, key, help, parse) => {
      const input = el("input", { value: field[key] === undefined ? "" : String(field[key]) });
      input.dataset.key = key;
      input.addEventListener("change", () => {
        const raw = input.value.trim();
        if (key === "name" && !NAME.test(raw)) return this._flash("字段名只能由小写字母、数字和下划线组成，且不以数字开头");
        if (key === "name" && definition.fields.some((f, i) => i !== index && f.name === raw)) return this._flash(`字段名「${raw}」已被本表单的其他字段使用`);
        set(key, parse ? parse(raw) : raw, key !== "pattern");
      });
      return row(label, input, help);
    };
    const select = (label, key, options, value, apply) => {
      const input = el("select", {}, options.map(([v, t]) => el("option", { value: v, text: t, selected: v === value })));
      input.dataset.key = key;
      input.addEventListener("change", () => apply(input.value));
      return row(label, input);
    };
    const number = (raw) => (raw === "" ? "" : Number.parseInt(raw, 10));
    text("显示名称", "label");
    text("字段名（流程变量名）", "name", "条件和后续步骤用这个名字读取填写的值");
    const types = Object.entries(this._choices.field_types.types || {});
    select("类型", "type", types, field.type, (type) => save((d) => {
      const target = d.fields[index];
      target.type = type;
      if (type === "attachment") target.name = this._choices.field_types.attachment_name || "evidence_ids";
      if (CHOICE_TYPES.includes(type) && !target.choices && !target.code_table) target.choices = ["是", "否"];
      if (!CHOICE_TYPES.includes(type)) { delete target.choices; delete target.code_table; }
      if (!TEXT_TYPES.includes(type)) { delete target.max_length; delete target.min_length; delete target.pattern; delete target.pattern_message; }
      if (type !== "org") delete target.level;
    }));
    const required = el("input", { type: "checkbox", className: "form-check-input", id: "designer-required", checked: Boolean(field.required) });
    required.addEventListener("change", () => set("required", required.checked));
    fieldset.appendChild(el("div", { className: "form-check mb-1" }, [required, el("label", { className: "form-check-label small", htmlFor: "designer-required", text: "必填" })]));
    if (TEXT_TYPES.includes(field.type)) {
      text("最多字数", "max_length", "", number);
      text("格式（正则表达式，可不填）", "pattern", "如 ^[0-9]{4}-[0-9]+$");
      if (field.pattern) text("格式不符时的提示", "pattern_message");
    }
    if (CHOICE_TYPES.includes(field.type)) {
      const tables = [["", "（不用代码表，自己填写选项）"], ...this._choices.codes.map((t) => [t.name, t.title])];
      select("代码表", "code_table", tables, field.code_table || "", (table) => save((d) => {
        const target = d.fields[index];
        if (table) { target.code_table = table; delete target.choices; } else { delete target.code_table; target.choices = ["是", "否"]; }
      }));
      if (!field.code_table) {
        text("选项（用顿号或逗号分隔）", "choices", "", (raw) => raw.split(/[,，、]/).map((c) => c.trim()).filter(Boolean));
      }
    }
    if (field.type === "org") {
      select("机构级别", "level", [["", "（不限）"], ...Object.entries(this._choices.field_types.levels || {})], field.level || "", (level) => set("level", level));
    }
    const others = definition.fields.filter((f, i) => i < index && (CHOICE_TYPES.includes(f.type) || f.type === "yesno"));
    if (others.length) {
      const rule = field.required_when || {};
      select("条件必填：当此字段…", "when_field", [["", "（无条件）"], ...others.map((f) => [f.name, f.label])], rule.field || "", (name) => save((d) => {
        const target = d.fields[index];
        delete target.shown_when;
        if (name) target.required_when = { field: name, equals: this._valuesOf(others.find((f) => f.name === name))[0] || "" };
        else delete target.required_when;
      }));
      if (rule.field) {
        const values = this._valuesOf(others.find((f) => f.name === rule.field));
        select("…等于此值时必须填写", "when_value", values.map((v) => [v, v]), rule.equals, (value) => save((d) => {
          d.fields[index].required_when = { field: rule.field, equals: value };
          if (d.fields[index].shown_when) d.fields[index].shown_when = { field: rule.field, equals: value };
        }));
        const shown = el("input", { type: "checkbox", className: "form-check-input", id: "designer-shown", checked: Boolean(field.shown_when) });
        shown.addEventListener("change", () => set("shown_when", shown.checked ? { field: rule.field, equals: rule.equals } : ""));
        fieldset.appendChild(el("div", { className: "form-check mb-1" }, [shown, el("label", { className: "form-check-label small", htmlFor: "designer-shown", text: "只在此条件下显示该字段" })]));
      }
    }
  };

  Panel.prototype._valuesOf = function (field) {
    if (!field) return [];
    if (field.type === "yesno") return ["是", "否"];
    const table = field.code_table && this._choices.codes.find((t) => t.name === field.code_table);
    return table ? table.values.map((v) => v.value) : field.choices || [];
  };

  // The preview is the server's rendering of the definition (the task page's templates); 提交 tries the validation.
  Panel.prototype._preview = async function (definition, values) {
    const out = document.getElementById("designer-preview");
    const response = await fetch(this._config.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this._config.csrf },
      body: JSON.stringify({ definition, values }),
    });
    const body = await response.json();
    if (!out) return;
    if (body.problems && body.problems.length) {
      out.replaceChildren(el("div", { className: "alert alert-warning small" }, [el("ul", { className: "mb-0" }, body.problems.map((p) => el("li", { text: p })))]));
      return;
    }
    out.innerHTML = body.html; // rendered and escaped by the server's templates
    const form = out.querySelector("form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = {};
      new FormData(form).forEach((value, key) => {
        if (key === "csrf_token" || value instanceof File) return;
        data[key] = key in data ? [].concat(data[key], value) : value;
      });
      this._preview(definition, data);
    });
  };
}
