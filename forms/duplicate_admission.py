"""Forms of the 重复招生处理 flow (F-46)."""

from __future__ import annotations

from typing import ClassVar

from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import TaskForm, VerdictForm

TEXT = Length(max=500, message="不能超过500字")


class OpenForm(TaskForm):
    """Filled by the system when a second school admits a graduate: the two admissions of the case."""

    key = "duplicate_admission.open"
    title = "重复招生"

    admission_a = StringField("先录取的招生记录", validators=[DataRequired("缺少先录取的招生记录")])
    admission_b = StringField("后录取的招生记录", validators=[DataRequired("缺少后录取的招生记录")])
    school_b = StringField("对方招生学校", validators=[DataRequired("缺少对方招生学校")])


class ActionForm(TaskForm):
    """重复招生处理: each admitting school deletes its admission or 佐证 it (proof and the school's opinion)."""

    confirm_when: ClassVar[dict[tuple[str, str], str]] = {("action", "删除"): "删除本校对该生的录取"}

    key = "duplicate_admission.action"
    title = "重复招生处理"

    action = RadioField(
        "处理方式",
        choices=[SelectChoice("佐证"), SelectChoice("删除")],
        validators=[DataRequired("请选择处理方式")],
    )
    opinion = TextAreaField("学校意见", validators=[TEXT])
    proof = TextAreaField("佐证材料", validators=[TEXT])

    def validate_opinion(self, field: TextAreaField) -> None:
        if self.action.data == "佐证" and not (field.data or "").strip():
            raise ValidationError("佐证须填写学校意见")

    def validate_proof(self, field: TextAreaField) -> None:
        if self.action.data == "佐证" and not (field.data or "").strip():
            raise ValidationError("佐证须填写佐证材料")


class ReviewForm(VerdictForm):
    """重复招生核办 by the admitting school's county."""

    key = "duplicate_admission.review"
    title = "重复招生核办"


class ArbitrationForm(TaskForm):
    """重复招生仲裁 by the common superior: at most one admission passes, or none."""

    key = "duplicate_admission.arbitration"
    title = "重复招生仲裁"

    winner = RadioField(
        "仲裁结果",
        choices=[
            SelectChoice("a", "先录取的学校录取，其他不通过"),
            SelectChoice("b", "后录取的学校录取，其他不通过"),
            SelectChoice("none", "全部不通过"),
        ],
        validators=[DataRequired("请选择仲裁结果")],
    )
    comment = TextAreaField("仲裁意见", validators=[DataRequired("请填写仲裁意见"), TEXT])
