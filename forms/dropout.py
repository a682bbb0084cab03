"""Forms of the 疑似辍学 / 辍学 flow (F-28)."""

from __future__ import annotations

from wtforms import BooleanField, DateField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from forms.base import TaskForm


class ReportForm(TaskForm):
    key = "dropout.report"
    title = "缺课报告（疑似辍学）"

    first_absent_on = DateField("开始缺课日期", validators=[InputRequired("请填写开始缺课日期")])
    contact_attempts = TextAreaField(
        "联系学生及家长的经过", validators=[DataRequired("请填写联系经过"), Length(max=500, message="不能超过500字")]
    )
    unreachable = BooleanField(
        "学生及家长均无法联系，且无异动在办或生效", validators=[DataRequired("只有无法联系的学生才能标记疑似辍学")]
    )


class FollowUpForm(TaskForm):
    key = "dropout.follow_up"
    title = "疑似辍学跟踪"

    outcome = RadioField("跟踪结果", choices=[SelectChoice("已返校")], validators=[DataRequired("请选择跟踪结果")])


class ConfirmForm(TaskForm):
    key = "dropout.confirm"
    title = "辍学确认"

    outcome = RadioField(
        "确认结果",
        choices=[SelectChoice("确认辍学"), SelectChoice("已返校")],
        validators=[DataRequired("请选择确认结果")],
    )
