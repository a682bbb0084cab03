"""Forms of the 误操作删除 flow (F-19)."""

from __future__ import annotations

from typing import ClassVar

from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import TaskForm

REASON_LENGTH = Length(max=500, message="不能超过500字")


class RequestForm(TaskForm):
    key = "mistaken_deletion.request"
    title = "申请误操作删除"

    reason = TextAreaField("删除原因", validators=[DataRequired("请填写删除原因"), REASON_LENGTH])


class CountyReviewForm(TaskForm):
    key = "mistaken_deletion.county_review"
    title = "误操作删除核办"
    approval: ClassVar[dict[str, str] | None] = {"decision": "删除"}  # 批量办理: the requests are granted
    opinion_field = "review_comment"
    shown_when: ClassVar[dict[str, tuple[str, str]]] = {"review_comment": ("decision", "驳回")}
    confirm_when: ClassVar[dict[tuple[str, str], str]] = {("decision", "删除"): "删除该生的学籍（状态改为已删除）"}

    decision = RadioField(
        "核办结果", choices=[SelectChoice("删除"), SelectChoice("驳回")], validators=[DataRequired("请选择核办结果")]
    )
    review_comment = TextAreaField("驳回原因", validators=[REASON_LENGTH])

    def validate_review_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "驳回" and not (field.data or "").strip():
            raise ValidationError("驳回时必须填写驳回原因")


class SchoolDecisionForm(TaskForm):
    key = "mistaken_deletion.school_decision"
    title = "处理驳回的删除申请"

    action = RadioField(
        "处理方式",
        choices=[SelectChoice("取消申请"), SelectChoice("重新提交")],
        validators=[DataRequired("请选择处理方式")],
    )
    reason = TextAreaField("删除原因（重新提交时填写）", validators=[REASON_LENGTH])

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data == "重新提交" and not (field.data or "").strip():
            raise ValidationError("重新提交时必须填写删除原因")

    def to_task_data(self) -> dict[str, object]:
        # Cancelling keeps the reason the county saw; only a resubmission replaces it.
        data = super().to_task_data()
        if self.action.data != "重新提交":
            data.pop("reason")
        return data
