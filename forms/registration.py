"""新生注册·手工录入 (F-07): one field per template column (§3.7/§3.8), code lists as selects.

The form only collects text; the §3.9 rules live in ``models.validation`` (shared with the Excel import), and
the view puts their messages on the fields.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import Form, SelectChoice, SelectField, StringField

from models.codes import BUSINESS_TYPES
from models.template_columns import COLUMNS, Column

SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("basic", "基本信息", ("name", "sex", "birth_date", "ethnicity", "nationality", "name_pinyin", "former_name")),
    (
        "identity",
        "身份证件与户籍",
        (
            "id_doc_type",
            "id_doc_number",
            "id_doc_validity",
            "overseas_status",
            "birthplace_code",
            "native_place",
            "hukou_code",
            "hukou_type",
            "political_status",
            "health_status",
        ),
    ),
    (
        "school",
        "学籍信息",
        (
            "class_no",
            "class_seat_no",
            "local_student_id",
            "entry_month",
            "entry_method",
            "attendance_mode",
            "student_source",
            "specialty",
        ),
    ),
    (
        "contact",
        "联系方式",
        ("current_address", "mailing_address", "home_address", "phone", "postal_code", "email", "homepage"),
    ),
    ("m1", "家庭成员1", ()),
    ("m2", "家庭成员2", ()),
    ("other", "其他信息", ()),  # every column not named above: the yes/no items, placement, commute
)
# Fields the page fills itself: 年级 follows the chosen class; the school is the registrar's own.
DERIVED = {"school_code", "grade"}
DIVISION_FIELDS = {"birthplace_code", "hukou_code", "m1_hukou_code", "m2_hukou_code"}


def _field(column: Column) -> Any:
    label = ("★" if column.required else "") + column.header
    if column.options:
        return SelectField(
            label, choices=[SelectChoice("", "请选择…"), *(SelectChoice(o) for o in column.options)], default=""
        )
    if column.key == "birth_date":
        return StringField(label, render_kw={"type": "date"})
    if column.key == "entry_month":
        return StringField(label, render_kw={"type": "month", "placeholder": "YYYY-MM"})
    if column.key == "class_no":  # the school's classes, set by the page
        return SelectField(label, choices=[], validate_choice=False)
    if column.key in DIVISION_FIELDS:  # a code typed, or chosen province → city → county (static/divisions.js)
        return StringField(label, render_kw={"data-division": "1", "inputmode": "numeric"})
    return StringField(label)


class RegistrationForm(Form):
    business_type = SelectField("注册类别", choices=[SelectChoice(t) for t in BUSINESS_TYPES], default="新生注册")

    def values(self) -> dict[str, Any]:
        """The record as the Excel template has it: dates YYYYMMDD, months YYYYMM (the browser sends ISO)."""
        found = {name: field.data for name, field in self._fields.items() if name not in {"business_type", "grade"}}
        for key in ("birth_date", "entry_month"):
            raw = str(found.get(key) or "").strip()
            if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", raw):
                found[key] = raw.replace("-", "")
        return found

    def set_classes(self, classes: list[tuple[str, str]]) -> None:
        """(班级号, "小学2026级一年级(1)班") of the school: 年级 and 班级 are chosen, not typed."""
        self.class_no.choices = [SelectChoice("", "请选择…"), *(SelectChoice(no, label) for no, label in classes)]

    def sections(self) -> list[tuple[str, str, list[Any]]]:
        named = {key for _, _, keys in SECTIONS for key in keys}
        found = []
        for anchor, title, keys in SECTIONS:
            if anchor in {"m1", "m2"}:
                fields = [self[c.key] for c in COLUMNS if c.key.startswith(anchor + "_")]
            elif anchor == "other":
                fields = [
                    self[c.key]
                    for c in COLUMNS
                    if c.key in self._fields and c.key not in named and not c.key.startswith(("m1_", "m2_"))
                ]
            else:
                fields = [self[key] for key in keys if key in self._fields]
            found.append((anchor, title, fields))
        return found

    def first_error(self) -> Any:
        for _, _, fields in self.sections():
            for field in fields:
                if field.errors:
                    return field
        return None

    def error_count(self) -> int:
        return sum(len(field.errors) for field in self)

    def put_errors(self, problems: list[Any]) -> None:
        for problem in problems:
            field = self._fields.get(problem.field)
            if field is not None:
                field.errors = [*field.errors, problem.message]  # type: ignore[misc]


for _column in COLUMNS:
    if _column.key not in DERIVED:
        setattr(RegistrationForm, _column.key, _field(_column))
