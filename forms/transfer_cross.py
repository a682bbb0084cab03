"""Forms of the cross-province transfer: receiving side (F-31) and sending side (F-32); and the admitting
school's request of 跨省招生 (F-43), which runs through the same diagrams."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from forms.base import TaskForm
from forms.transfer import REASON_LENGTH, ReviewForm
from models.exchange import CrossProvinceKind

NUMBER = Regexp(r"^\s*[GLJgl]?[0-9A-Za-z]{17,18}\s*$", message="全国学籍号格式不正确")
IN = "transfer_cross_province_in"
OUT = "transfer_cross_province_out"


class _CrossProvinceRequest(TaskForm):
    """What the other province validates (number + name) and where to send it; the kind comes with the form,
    never from the request."""

    kind: ClassVar[CrossProvinceKind]
    province_label: ClassVar[str]  # the other province's part: 转出省份 (F-31) or 毕业省份 (F-43)

    from_province_id = SelectField("省份", coerce=int, validate_choice=False, validators=[DataRequired("请选择省份")])
    student_name = StringField("学生姓名", validators=[DataRequired("请填写学生姓名"), Length(max=50)])
    national_student_id = StringField("全国学籍号", validators=[DataRequired("请填写全国学籍号"), NUMBER])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.from_province_id.label.text = self.province_label

    also_writes: ClassVar[tuple[str, ...]] = ("kind",)

    def to_task_data(self) -> dict[str, Any]:
        return {**super().to_task_data(), "kind": self.kind.value}

    def display_lines(self) -> list[tuple[str, str]]:
        shown = [self._fields[name] for name in ("student_name", "national_student_id", "reason")]
        return [(str(field.label.text), str(field.data)) for field in shown if field.data]


class RequestForm(_CrossProvinceRequest):
    key = f"{IN}.request"
    title = "跨省转学申请"
    kind = CrossProvinceKind.TRANSFER
    province_label = "转出省份"

    to_class_id = SelectField(
        "转入班级", coerce=int, validate_choice=False, validators=[DataRequired("请选择转入班级")]
    )
    reason = TextAreaField("转学理由", validators=[DataRequired("请填写转学理由"), REASON_LENGTH])


ADMISSION_STAGES = [SelectChoice("junior", "初中"), SelectChoice("senior", "高中")]  # admitted from graduates


class AdmissionRequestForm(_CrossProvinceRequest):
    """跨省招生 (F-43 step 1): the graduation province, number + name, and the stage the school admits to."""

    key = f"{IN}.admission_request"
    title = "跨省招生"
    kind = CrossProvinceKind.ADMISSION
    province_label = "毕业省份"

    stage = SelectField("录取阶段", choices=ADMISSION_STAGES, validators=[DataRequired("请选择录取阶段")])
    reason = TextAreaField("就学原因", validators=[DataRequired("请填写就学原因"), REASON_LENGTH])


class ToCountyReviewForm(ReviewForm):
    key = f"{IN}.to_county_review"
    title = "转入区县审核"


class ToCityReviewForm(ReviewForm):
    key = f"{IN}.to_city_review"
    title = "转入市级审核"


class AwaitForm(TaskForm):
    key = f"{IN}.await_sending"
    title = "撤销转学申请"

    action = RadioField("操作", choices=[SelectChoice("撤销转学申请")], validators=[DataRequired("请选择操作")])
    revoke_reason = TextAreaField("撤销原因", validators=[DataRequired("请填写撤销原因"), REASON_LENGTH])


class ResubmitForm(TaskForm):
    key = f"{IN}.resubmit"
    title = "重新提交申请"

    action = RadioField(
        "处理方式",
        choices=[SelectChoice("重新提交申请"), SelectChoice("放弃申请")],
        validators=[DataRequired("请选择处理方式")],
    )
    student_name = StringField("学生姓名（核对后）", validators=[Length(max=50)])
    national_student_id = StringField("全国学籍号（核对后）")

    def validate_national_student_id(self, field: StringField) -> None:
        if self.action.data != "重新提交申请":
            return
        if not (field.data or "").strip() or not (self.student_name.data or "").strip():
            raise ValidationError("重新提交时必须填写核对后的姓名和全国学籍号")
        NUMBER(self, field)

    def to_task_data(self) -> dict[str, object]:
        data = super().to_task_data()
        if self.action.data != "重新提交申请":
            data.pop("student_name")
            data.pop("national_student_id")
        else:
            data["national_student_id"] = str(data["national_student_id"]).upper()
        return data


class PullForm(TaskForm):
    key = f"{IN}.pull"
    title = "调档"

    action = RadioField(
        "操作", choices=[SelectChoice("调档"), SelectChoice("撤销转学申请")], validators=[DataRequired("请选择操作")]
    )
    revoke_reason = TextAreaField("撤销原因（撤销时填写）", validators=[REASON_LENGTH])

    def validate_revoke_reason(self, field: TextAreaField) -> None:
        if self.action.data == "撤销转学申请" and not (field.data or "").strip():
            raise ValidationError("撤销时必须填写撤销原因")


class OutSchoolReviewForm(ReviewForm):
    key = f"{OUT}.school_review"
    title = "跨省转出学校审核"


class OutCountyReviewForm(ReviewForm):
    key = f"{OUT}.county_review"
    title = "跨省转出区县审核"


class OutCityReviewForm(ReviewForm):
    key = f"{OUT}.city_review"
    title = "跨省转出地市审核"


class OutProvinceReviewForm(ReviewForm):
    key = f"{OUT}.province_review"
    title = "跨省转出省级审核"
