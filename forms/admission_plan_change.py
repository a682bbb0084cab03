"""Forms of the 招生计划数变更 flow (F-39)."""

from __future__ import annotations

from wtforms import IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from forms.base import TaskForm, VerdictForm

TEXT = Length(max=500, message="不能超过500字")


class RequestForm(TaskForm):
    key = "admission_plan_change.request"
    title = "招生计划数变更申请"

    year = IntegerField("招生年度", validators=[InputRequired("请填写招生年度"), NumberRange(2000, 2100, "年度无效")])
    stage = RadioField(
        "教育阶段",
        choices=[SelectChoice("primary", "小学"), SelectChoice("junior", "初中"), SelectChoice("senior", "高中")],
        validators=[DataRequired("请选择教育阶段")],
    )
    planned = IntegerField(
        "变更后计划数", validators=[InputRequired("请填写计划数"), NumberRange(0, 10000, "计划数无效")]
    )
    reason = TextAreaField("变更理由", validators=[DataRequired("请填写变更理由"), TEXT])


class ReviewForm(VerdictForm):
    key = "admission_plan_change.review"
    title = "招生计划数变更核办"
