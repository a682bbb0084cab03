"""Forms of the senior-stage graduation flow (F-35: 毕业 / 结业 / 肄业, approved by the record authority)."""

from __future__ import annotations

from typing import ClassVar

from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import TaskForm


class SeniorRequestForm(TaskForm):
    key = "senior_graduation.request"
    title = "高中毕结业申请"

    outcome = RadioField(
        "毕业类型",
        choices=[SelectChoice("毕业"), SelectChoice("结业"), SelectChoice("肄业")],
        validators=[DataRequired("请选择毕业类型")],
    )
    note = StringField("说明", validators=[Length(max=200, message="不能超过200字")])


class SeniorReviewForm(TaskForm):
    approval: ClassVar[dict[str, str] | None] = {"decision": "通过"}  # 批量办理 submits this with one opinion
    opinion_field = "review_comment"
    key = "senior_graduation.authority_review"
    title = "高中毕业主管部门核办"

    decision = RadioField(
        "核办结果", choices=[SelectChoice("通过"), SelectChoice("不通过")], validators=[DataRequired("请选择核办结果")]
    )
    review_comment = TextAreaField("核办意见", validators=[Length(max=500, message="不能超过500字")])

    def validate_review_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "不通过" and not (field.data or "").strip():
            raise ValidationError("审核不通过时必须填写原因")
