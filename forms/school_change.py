"""Forms of the 学校合并、撤销 / 更名 / 校区增撤 flow (F-50)."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.base import TaskForm, VerdictForm
from handlers.school_changes import KINDS


class RequestForm(TaskForm):
    key = "school_change.request"
    title = "学校结构变更申请"
    shown_when: ClassVar[dict[str, tuple[str, str]]] = {"new_name": ("kind", "更名")}

    kind = SelectField(
        "变更类型", choices=[SelectChoice(k) for k in KINDS], validators=[DataRequired("请选择变更类型")]
    )
    target_code = StringField("接收学校标识码（合并、撤销时填写）", validators=[Length(max=10)])
    new_name = StringField("新校名（更名时填写）", validators=[Length(max=100)])
    campus_name = StringField("校区名称（增设、撤销校区时填写）", validators=[Length(max=100)])
    campus_address_code = StringField("校区所在地区划代码（12位）", validators=[Length(max=12)])
    campus_manager = StringField("校区负责人", validators=[Length(max=50)])
    campus_phone = StringField("校区联系电话", validators=[Length(max=20)])
    reason = TextAreaField("变更依据（文件号、说明）", validators=[DataRequired("请填写变更依据"), Length(max=500)])

    def to_task_data(self) -> dict[str, Any]:
        # The handlers read the request as one dict (the diagram passes ``request`` to both of them).
        data = super().to_task_data()
        return {**data, "request": dict(data)}


class CityReviewForm(VerdictForm):
    key = "school_change.city_review"
    title = "学校合并、撤销审核"
