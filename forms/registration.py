"""新生注册·手工录入 (F-07): one field per template column (§3.7/§3.8), code lists as selects.

The form only collects text; the §3.9 rules live in ``models.validation`` (shared with the Excel import), and
the view puts their messages on the fields.
"""

from __future__ import annotations

from typing import Any

from wtforms import Form, SelectChoice, SelectField, StringField

from models.codes import BUSINESS_TYPES
from models.template_columns import COLUMNS, Column

GROUPS = (
    ("学生基本信息", lambda c: not c.key.startswith(("m1_", "m2_"))),
    ("家庭成员1", lambda c: c.key.startswith("m1_")),
    ("家庭成员2", lambda c: c.key.startswith("m2_")),
)


def _field(column: Column) -> Any:
    label = ("★" if column.required else "") + column.header
    if column.options:
        return SelectField(
            label, choices=[SelectChoice("", "请选择"), *(SelectChoice(o) for o in column.options)], default=""
        )
    return StringField(label)


class RegistrationForm(Form):
    business_type = SelectField("注册类别", choices=[SelectChoice(t) for t in BUSINESS_TYPES], default="新生注册")

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "business_type"}

    def groups(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[c.key] for c in COLUMNS if c.key in self._fields and test(c)]) for title, test in GROUPS]

    def put_errors(self, problems: list[Any]) -> None:
        for problem in problems:
            field = self._fields.get(problem.field)
            if field is not None:
                field.errors = [*field.errors, problem.message]  # type: ignore[misc]


for _column in COLUMNS:
    if _column.key != "school_code":
        setattr(RegistrationForm, _column.key, _field(_column))
