"""Forms of the in-province transfer (F-29, F-30): the receiving school's request and each review.

Every review is 通过 or 不通过; 不通过 needs a reason and ends the case (R14).
"""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from forms.base import TaskForm
from models.org import class_choices

REASON_LENGTH = Length(max=500, message="不能超过500字")
DECISIONS = [SelectChoice("通过"), SelectChoice("不通过")]


class LookupForm(TaskForm):
    """F-06 style lookup before a transfer: reveals existence, school and status only."""

    key = "transfer.lookup"
    title = "查找转入学生"

    national_student_id = StringField(
        "全国学籍号",
        validators=[
            DataRequired("请填写全国学籍号"),
            Regexp(r"^\s*[GLJgl]?[0-9A-Za-z]{17,18}\s*$", message="全国学籍号格式不正确"),
        ],
    )
    student_name = StringField("学生姓名", validators=[DataRequired("请填写学生姓名"), Length(max=50)])


class RequestForm(TaskForm):
    key = "transfer_in_province.request"
    title = "省内转学申请"

    # Choices are the receiving school's classes, set by the page; the start check refuses any other class.
    to_class_id = SelectField(
        "转入班级", coerce=int, validate_choice=False, validators=[DataRequired("请选择转入班级")]
    )
    cause = RadioField(
        "转学原因类别",
        choices=[SelectChoice("房产变更"), SelectChoice("户籍变更"), SelectChoice("其他原因")],
        validators=[DataRequired("请选择转学原因类别")],
    )
    reason = TextAreaField("转学理由", validators=[DataRequired("请填写转学理由"), REASON_LENGTH])

    def prepare(self, session: Any, case: Any) -> None:
        self.to_class_id.choices = [c for cs in class_choices(session, case.to_school_id).values() for c in cs]

    def display_lines(self) -> list[tuple[str, str]]:
        # The class is shown by name on the case page; its choices are unknown outside the page.
        lines = [("转学原因类别", self.cause.data), ("转学理由", self.reason.data)]
        return [(label, str(value)) for label, value in lines if value]


class ReviewForm(TaskForm):
    approval: ClassVar[dict[str, str] | None] = {"decision": "通过"}  # 批量办理 submits this with one opinion
    decision = RadioField("审核结果", choices=DECISIONS, validators=[DataRequired("请选择审核结果")])
    comment = TextAreaField("审核意见（不通过时必填）", validators=[REASON_LENGTH])

    def validate_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "不通过" and not (field.data or "").strip():
            raise ValidationError("审核不通过时必须填写原因")


class ToCountyReviewForm(ReviewForm):
    key = "transfer_in_province.to_county_review"
    title = "转入区县审核"


class FromSchoolReviewForm(ReviewForm):
    key = "transfer_in_province.from_school_review"
    title = "转出学校审核"


class FromCountyReviewForm(ReviewForm):
    key = "transfer_in_province.from_county_review"
    title = "转出区县审核"


class CityReviewForm(ReviewForm):
    key = "transfer_in_province.city_review"
    title = "市级审核"
