"""Forms of the 学籍异动 flow (F-21…F-27): one request form for every type, the two reviews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import TaskForm, optional_int
from models.lifecycle import ChangeCode

TEXT = Length(max=500, message="不能超过500字")
NEEDS_CLASS = frozenset({ChangeCode.RESUMPTION, ChangeCode.GRADE_SKIP, ChangeCode.GRADE_REPEAT})


class RequestForm(TaskForm):
    key = "status_change.request"
    title = "学籍异动申请"
    # Each type's own fields are shown only for it (values separated by "|").
    shown_when: ClassVar[dict[str, tuple[str, str]]] = {
        "death_date": ("change_type", ChangeCode.DEATH.value),
        "target_class_id": ("change_type", "|".join(code.value for code in sorted(NEEDS_CLASS))),
        "destination_country": ("change_type", ChangeCode.ABROAD.value),
        "keep_record": ("change_type", ChangeCode.ABROAD.value),
    }

    change_type = SelectField(
        "异动类型",
        choices=[SelectChoice(code.value, code.label) for code in ChangeCode],
        validators=[DataRequired("请选择异动类型")],
    )
    reason = StringField(
        "异动原因", validators=[DataRequired("请填写异动原因"), Length(max=100, message="不能超过100字")]
    )
    death_date = DateField("死亡日期", validators=[Optional()])
    # Choices are the school's classes, filled by the web view; the handler checks the class really fits.
    target_class_id = SelectField(
        "转入班级（复学、跳级、留级）", coerce=optional_int, validate_choice=False, validators=[Optional()]
    )
    destination_country = StringField("前往国家（地区）", validators=[Length(max=50, message="不能超过50字")])
    keep_record = RadioField("是否保留学籍", choices=[SelectChoice("是"), SelectChoice("否")], validators=[Optional()])
    evidence = TextAreaField("佐证材料说明", validators=[TEXT])
    # Ids of the uploaded evidence files (§3.11), filled by the web view after storing the uploads.
    attachment_ids = HiddenField()

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Fields a type needs (optional for the others, so their own validators stop at an empty value)."""
        ok = super().validate(extra_validators)
        code = self.change_type.data
        needed = [
            (code == ChangeCode.DEATH, self.death_date, "死亡异动必须填写死亡日期"),
            (code in NEEDS_CLASS, self.target_class_id, "复学、跳级、留级必须选择转入班级"),
            (code == ChangeCode.ABROAD, self.destination_country, "出国异动必须填写前往国家（地区）"),
        ]
        for applies, field, message in needed:
            if applies and field.data in (None, "") and not field.errors:
                field.errors = [message]
                ok = False
        return ok


def _reason_required(decision: str | None, comment: str | None) -> None:
    """A 不通过 must state its reason (R14)."""
    if decision == "不通过" and not (comment or "").strip():
        raise ValidationError("审核不通过时必须填写原因")


class SchoolReviewForm(TaskForm):
    key = "status_change.school_review"
    title = "学籍异动学校审核"

    school_decision = RadioField(
        "学校审核结果",
        choices=[SelectChoice("通过"), SelectChoice("不通过")],
        validators=[DataRequired("请选择审核结果")],
    )
    school_comment = TextAreaField("学校审核意见", validators=[TEXT])

    def validate_school_comment(self, field: TextAreaField) -> None:
        _reason_required(self.school_decision.data, field.data)


class AuthorityReviewForm(TaskForm):
    approval: ClassVar[dict[str, str] | None] = {"decision": "通过"}  # 批量办理 submits this with one opinion
    opinion_field = "review_comment"
    key = "status_change.authority_review"
    title = "学籍异动审核"

    decision = RadioField(
        "审核结果", choices=[SelectChoice("通过"), SelectChoice("不通过")], validators=[DataRequired("请选择审核结果")]
    )
    review_comment = TextAreaField("审核意见", validators=[TEXT])

    def validate_review_comment(self, field: TextAreaField) -> None:
        _reason_required(self.decision.data, field.data)
