"""Base class of every task form: a WTForms form with a diagram key and a JSON-safe export.

CSRF is not here: ``CSRFProtect`` in the web app guards every POST, so these forms also run without Flask
(bpmn_tests validate through them exactly as the web does).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from wtforms import Form, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


class ChineseForm(Form):
    class Meta:
        locales = ("zh",)  # WTForms' own messages ("不是有效的日期值") in Chinese


def optional_int(value: Any) -> int | None:
    """Select values: "" (not chosen) is None."""
    return None if value in (None, "", "None") else int(value)


class TaskForm(Form):
    key: ClassVar[str]
    title: ClassVar[str] = ""
    # 批量办理: the fields that mean "approve" (None: the step cannot be approved in bulk) and the opinion field.
    approval: ClassVar[dict[str, str] | None] = None
    opinion_field: ClassVar[str] = "comment"
    # Fields that belong to one decision only: field name → (deciding field, value), shown only for that value.
    shown_when: ClassVar[dict[str, tuple[str, str]]] = {}
    # Variables to_task_data writes beyond the fields (the publish check counts them as written).
    also_writes: ClassVar[tuple[str, ...]] = ()
    # Decisions that remove or move a record: (field, value) → what the confirmation says is about to happen.
    confirm_when: ClassVar[dict[tuple[str, str], str]] = {}

    def needs_confirmation(self) -> str:
        """What the reviewer must confirm before this submission takes effect ("" when nothing)."""
        for (name, value), consequence in self.confirm_when.items():
            if name in self._fields and self._fields[name].data == value:
                return consequence
        return ""

    @classmethod
    def variables(cls) -> list[str]:
        """The diagram variables this form writes: its fields and ``also_writes``."""
        return [*(field.name for field in cls()), *cls.also_writes]

    def outcome(self) -> str:
        """The decision in a word, for the message after submitting (the first choice field's label)."""
        for field in self:
            if hasattr(field, "iter_choices") and field.data not in (None, "") and not isinstance(field.data, list):
                return str(field.data)
        return ""

    def scope(self, session: Any, user: Any) -> None:
        """Limit the pickers to the acting user's jurisdiction (models.jurisdiction); the form is shown or validated
        for that user. Forms without pickers ignore it."""

    def prepare(self, session: Any, case: Any) -> None:
        """Fill choices that depend on the case (e.g. the receiving school's classes) when the form is shown for
        a task rather than on its own page: a form sent back to its initiator (退回) needs them."""

    def to_task_data(self) -> dict[str, Any]:
        """Field values as JSON types (task data is serialised; ``date``/``Decimal`` would fail there)."""
        return {name: _json_safe(getattr(field, "task_value", field.data)) for name, field in self._fields.items()}

    def display_lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the case history, in the order of the form, empty values left out."""
        lines = []
        for field in self:
            value = getattr(field, "data", None)
            if value in (None, "", []):
                continue
            labels = {c.value: c.label for c in field.iter_choices()} if hasattr(field, "iter_choices") else {}
            value = getattr(field, "shown", value)
            shown = (
                "、".join(str(labels.get(v, v)) for v in value) if isinstance(value, list) else labels.get(value, value)
            )
            lines.append((str(field.label.text), str(shown)))
        return lines


class VerdictForm(TaskForm):
    """核办 by an authority: 通过 or 不通过, the latter only with a written opinion. Subclasses set key and title;
    the diagrams read ``decision`` and ``comment``."""

    approval: ClassVar[dict[str, str] | None] = {"decision": "通过"}  # 批量办理 submits this with one opinion

    decision = RadioField(
        "核办结果", choices=[SelectChoice("通过"), SelectChoice("不通过")], validators=[DataRequired("请选择核办结果")]
    )
    comment = TextAreaField("核办意见", validators=[Length(max=500, message="不能超过500字")])

    def validate_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "不通过" and not (field.data or "").strip():
            raise ValidationError("不通过时必须填写核办意见")


def _json_safe(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value
