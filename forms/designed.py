"""Designed forms (issue 16): a task form declared as data in the diagram, built into a WTForms class at run time.

A diagram carries its designed forms in the process's extension elements, one JSON object per form::

    <bpmn:process id="transfer_in_province" ...>
      <bpmn:extensionElements>
        <xueji:form xmlns:xueji="urn:xueji:form:1">{"key": "transfer.city_recheck", "title": "市级复核", "fields": [
          {"name": "decision", "label": "复核结果", "type": "choice", "choices": ["通过", "不通过"], "required": true},
          {"name": "comment", "label": "复核意见", "type": "longtext", "max_length": 300,
           "required_when": {"field": "decision", "equals": "不通过"}}]}</xueji:form>
      </bpmn:extensionElements>

A user task names it in ``formKey`` exactly as it names a Python form; publishing stores the definitions with the
version (``engine.store``), so a case keeps the form of its version. The built class is a ``TaskForm`` like the
hand-written ones: the same templates, CSRF, escaping, Chinese messages, task data and history lines.

Besides the plain types, ``student`` (a 全国学籍号 looked up within the acting user's jurisdiction; the task data holds
the student's id) and ``org`` (an organisation of the user's subtree, optionally of one ``level``) are pickers
(forms.pickers): the web layer calls ``TaskForm.scope(session, user)`` before showing or validating the form.

Why a small format of our own rather than JSON Schema with a UI schema: the registry's field types (choices from
Appendix A's code tables, proof attachments, "required when 不通过") are not JSON Schema types and would need custom
keywords anyway; two schemas per form double what a policy officer edits; and each field here maps onto exactly one
WTForms field and its validators, so a designed form cannot validate differently from a hand-written one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lxml import etree
from wtforms import (
    DateField,
    DecimalField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from forms import pickers
from forms.base import ChineseForm, TaskForm
from models.codes import TABLES

NS = "urn:xueji:form:1"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"

TYPES = {
    "text": "单行文本",
    "longtext": "多行文本",
    "number": "数值",
    "integer": "整数",
    "date": "日期",
    "choice": "单选",
    "multichoice": "多选",
    "yesno": "是/否",
    "attachment": "附件",
    "student": "学生（管辖范围内）",
    "org": "机构（管辖范围内）",
}
# The levels an organisation picker may be limited to (OrgLevel values).
ORG_LEVELS = {"school": "学校", "county": "区县", "city": "市级"}
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")  # flow.step, as the Python forms' keys
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# The attachment field carries the ids of the files the task page stored first (webapp.attachments.with_evidence).
ATTACHMENT_NAME = "evidence_ids"
RADIO_AT_MOST = 5  # more options than this are a drop-down list
FIELD_KEYS = {
    "name",
    "label",
    "type",
    "required",
    "required_when",
    "shown_when",
    "help",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "min",
    "max",
    "choices",
    "code_table",
    "level",
}
LONGTEXT_MAX = 500


# -- reading and checking --------------------------------------------------------------------------------------


def read(process: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The designed forms of a ``bpmn:process`` element by key, and Chinese problems naming what is wrong."""
    found: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for number, node in enumerate(process.iterfind(f"{{{BPMN}}}extensionElements/{{{NS}}}form"), start=1):
        try:
            definition = json.loads(node.text or "")
        except json.JSONDecodeError as exc:
            problems.append(f"第{number}个表单定义不是有效的 JSON（第{exc.lineno}行第{exc.colno}列）")
            continue
        own = check(definition)
        key = definition.get("key") if isinstance(definition, dict) else None
        where = f"表单「{key}」" if isinstance(key, str) and key else f"第{number}个表单定义"
        problems.extend(f"{where}：{problem}" for problem in own)
        if own:
            continue
        if key in found:
            problems.append(f"表单「{key}」定义了两次")
        found[key] = definition
    return found, problems


def read_xml(xml: str | bytes, process_key: str) -> dict[str, dict[str, Any]]:
    """The designed forms of a stored diagram (already checked when it was published or saved)."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    process = root.find(f"{{{BPMN}}}process[@id='{process_key}']")
    return read(process)[0] if process is not None else {}


def check(definition: Any) -> list[str]:
    """What is wrong with one form definition, in Chinese (empty: it can be built)."""
    if not isinstance(definition, dict):
        return ["表单定义须为 JSON 对象"]
    problems = [f"不认识的属性「{k}」" for k in definition if k not in {"key", "title", "fields"}]
    key = definition.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        problems.append("表单标识（key）须为「流程.步骤」形式的小写字母、数字和下划线，如 transfer.city_recheck")
    if not isinstance(definition.get("title"), str) or not definition["title"].strip():
        problems.append("缺少表单标题（title）")
    fields = definition.get("fields")
    if not isinstance(fields, list) or not fields:
        return [*problems, "表单至少要有一个字段（fields）"]
    names: list[str] = []
    for number, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            problems.append(f"第{number}个字段须为 JSON 对象")
            continue
        label = field.get("label") or field.get("name") or f"第{number}个字段"
        problems.extend(f"字段「{label}」：{p}" for p in _field_problems(field, names))
        names.append(field.get("name"))
    for field in fields:
        for condition in ("required_when", "shown_when"):
            rule = field.get(condition) if isinstance(field, dict) else None
            if isinstance(rule, dict) and rule.get("field") not in names:
                problems.append(
                    f"字段「{field.get('label')}」：{condition} 引用的字段「{rule.get('field')}」不在本表单中"
                )
    return problems


def _field_problems(field: dict[str, Any], earlier: list[str]) -> list[str]:
    problems = [f"不认识的属性「{k}」" for k in field if k not in FIELD_KEYS]
    name, kind = field.get("name"), field.get("type")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append("字段名（name）须由小写字母、数字和下划线组成，且不以数字开头（它就是流程变量名）")
    elif name in earlier:
        problems.append(f"字段名「{name}」重复")
    if not isinstance(field.get("label"), str) or not field["label"].strip():
        problems.append("缺少显示名称（label）")
    if kind not in TYPES:
        allowed = "、".join(f"{k}（{v}）" for k, v in TYPES.items())
        return [*problems, f"类型「{kind}」不存在，可用类型：{allowed}"]
    if kind == "attachment" and name != ATTACHMENT_NAME:
        problems.append(f"附件字段的字段名须为 {ATTACHMENT_NAME}")
    if kind in ("choice", "multichoice"):
        problems.extend(_choice_problems(field))
    if "level" in field and (kind != "org" or field["level"] not in ORG_LEVELS):
        problems.append(
            f"机构级别（level）只用于机构字段，可用：{'、'.join(f'{k}（{v}）' for k, v in ORG_LEVELS.items())}"
        )
    return problems + _limit_problems(field)


def _choice_problems(field: dict[str, Any]) -> list[str]:
    choices, table = field.get("choices"), field.get("code_table")
    if table is not None:
        return [] if table in TABLES else [f"代码表「{table}」不存在，可用代码表：{'、'.join(TABLES)}"]
    if isinstance(choices, list) and choices and all(isinstance(c, str) and c for c in choices):
        return []
    return ["须给出选项（choices，文字列表）或代码表（code_table）"]


def _limit_problems(field: dict[str, Any]) -> list[str]:
    problems = [
        f"{limit} 须为不小于0的整数"
        for limit in ("min_length", "max_length")
        if limit in field and not (isinstance(field[limit], int) and field[limit] >= 0)
    ]
    problems += [
        f"{limit} 须为数值" for limit in ("min", "max") if limit in field and not isinstance(field[limit], int | float)
    ]
    if "pattern" in field:
        try:
            re.compile(str(field["pattern"]))
        except re.error as exc:
            problems.append(f"格式（pattern）不是有效的正则表达式（{exc}）")
    for condition in ("required_when", "shown_when"):
        rule = field.get(condition)
        if rule is not None and not (isinstance(rule, dict) and set(rule) == {"field", "equals"}):
            problems.append(f'{condition} 须为 {{"field": 字段名, "equals": 取值}}')
    return problems


# -- building the WTForms class ---------------------------------------------------------------------------------


def build(definition: dict[str, Any]) -> type[TaskForm]:
    """The ``TaskForm`` class of a checked definition (built once per distinct definition)."""
    return _build(json.dumps(definition, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _build(text: str) -> type[TaskForm]:
    definition = json.loads(text)
    attrs: dict[str, Any] = {
        "key": definition["key"],
        "title": definition["title"],
        "takes_files": any(f["type"] == "attachment" for f in definition["fields"]),
        "pickers": {f["name"]: f.get("level") for f in definition["fields"] if f["type"] in ("student", "org")},
        "scope": _scope,
        "shown_when": {
            f["name"]: (f["shown_when"]["field"], f["shown_when"]["equals"])
            for f in definition["fields"]
            if "shown_when" in f
        },
    }
    for field in definition["fields"]:
        attrs[field["name"]] = _field(field)
    # ChineseForm's Meta: WTForms' own messages (a date it cannot read, a number) in Chinese too.
    return type(f"Designed[{definition['key']}]", (TaskForm, ChineseForm), attrs)


def _scope(form: Any, session: Any, user: Any) -> None:
    """TaskForm.scope of a designed form: its pickers offer and accept only what the user's jurisdiction holds."""
    for name, level in form.pickers.items():
        form[name].limit_to(session, user, level)


class RequiredWhen:
    """Required only while another field has a value (e.g. an opinion when the decision is 不通过)."""

    def __init__(self, other: str, value: str, message: str) -> None:
        self.other, self.value, self.message = other, value, message

    def __call__(self, form: Any, field: Field) -> None:
        other = form._fields.get(self.other)
        if other is None or other.data != self.value:
            return
        if field.data in (None, "", []) or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(self.message)


def _choices(field: dict[str, Any]) -> list[SelectChoice]:
    if field["type"] == "yesno":
        return [SelectChoice("是"), SelectChoice("否")]
    if "code_table" in field:
        table = TABLES[field["code_table"]][1]
        return [SelectChoice(value, table[value] if isinstance(table, dict) else value) for value in table]
    return [SelectChoice(choice) for choice in field["choices"]]


def _validators(field: dict[str, Any]) -> list[Any]:
    label, kind = field["label"], field["type"]
    validators: list[Any] = []
    if "required_when" in field:  # before Optional, which would end the chain on an empty field
        rule = field["required_when"]
        validators.append(RequiredWhen(rule["field"], rule["equals"], f"{rule['equals']}时必须填写{label}"))
    verb = "选择" if kind in ("choice", "multichoice", "yesno", "org") else "上传" if kind == "attachment" else "填写"
    validators.append(InputRequired(f"请{verb}{label}") if field.get("required") else Optional())
    high = field.get("max_length", LONGTEXT_MAX if kind == "longtext" else None)
    low = field.get("min_length", 0)
    if kind in ("text", "longtext") and (high is not None or low > 0):
        span = f"须为{low}至{high}个字" if low and high else f"不能超过{high}个字" if high else f"至少{low}个字"
        validators.append(Length(min=low or -1, max=high if high is not None else -1, message=f"{label}{span}"))
    if kind in ("text", "longtext") and "pattern" in field:
        validators.append(Regexp(field["pattern"], message=field.get("pattern_message") or f"{label}的格式不正确"))
    low, high = field.get("min"), field.get("max")
    if kind in ("number", "integer") and (low is not None or high is not None):
        span = (
            f"{low}至{high}"
            if low is not None and high is not None
            else f"不小于{low}"
            if high is None
            else f"不大于{high}"
        )
        validators.append(NumberRange(min=low, max=high, message=f"{label}须{span}"))
    return validators


# Each type's WTForms field; choice types are built from their options below.
_PLAIN: dict[str, Callable[..., Field]] = {
    "text": StringField,
    "longtext": TextAreaField,
    "integer": IntegerField,
    "attachment": HiddenField,
    "number": lambda label, **options: DecimalField(label, places=None, **options),
    "date": lambda label, **options: DateField(label, format="%Y-%m-%d", render_kw={"type": "date"}, **options),
}


def _field(field: dict[str, Any]) -> Field:
    label, kind = field["label"], field["type"]
    options = {"validators": _validators(field), "description": field.get("help", "")}
    if kind == "student":
        return pickers.StudentField(label, **{**options, "description": options["description"] or "填写全国学籍号"})
    if kind == "org":
        return pickers.OrgField(label, **options)
    if kind in _PLAIN:
        return _PLAIN[kind](label, **options)
    choices = _choices(field)
    if kind == "multichoice":
        return SelectMultipleField(
            label, choices=choices, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), **options
        )
    if len(choices) <= RADIO_AT_MOST:
        return RadioField(label, choices=choices, **options)
    return SelectField(label, choices=[SelectChoice("", "请选择…"), *choices], default="", **options)
