"""Forms of the 关键数据变更 flow (F-18)."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import TaskForm
from models.codes import ETHNICITIES

TEXT = Length(max=500, message="不能超过500字")


class RequestForm(TaskForm):
    key = "key_data_change.request"
    title = "关键数据变更申请"
    takes_files = True

    new_name = StringField("变更后姓名", validators=[Length(max=50)])
    new_sex = RadioField(
        "变更后性别", choices=[SelectChoice("1", "男"), SelectChoice("2", "女")], validate_choice=False
    )
    new_birth_date = StringField("变更后出生日期", validators=[Length(max=10)], render_kw={"type": "date"})
    new_ethnicity = SelectField(
        "变更后民族",
        choices=[SelectChoice("", "请选择…"), *(SelectChoice(e) for e in ETHNICITIES)],
        default="",
    )
    new_id_doc_type = RadioField(
        "变更后身份证件类型",
        choices=[SelectChoice("1", "居民身份证"), SelectChoice("Z", "其他")],
        validate_choice=False,
    )
    new_id_doc_number = StringField("变更后身份证件号", validators=[Length(max=30)])
    new_nationality = StringField("变更后国籍/地区", validators=[Length(max=20)])
    reason = TextAreaField("变更原因", validators=[DataRequired("请填写变更原因"), TEXT])
    evidence_ids = HiddenField("证明材料")

    def validate_evidence_ids(self, field: HiddenField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("关键数据变更须上传证明材料（户口簿、派出所证明等）")

    def validate_new_name(self, field: StringField) -> None:
        if not any((self[name].data or "").strip() for name in self._fields if name.startswith("new_")):
            raise ValidationError("请至少填写一项变更后的关键数据")

    def to_task_data(self) -> dict[str, Any]:
        data = {k: v or "" for k, v in super().to_task_data().items()}
        return {"reason": data["reason"], "change_request": data}

    def current_values(self, student: Any) -> dict[str, str]:
        """What each changeable field holds now, beside its new value on the page (ID number masked)."""
        return {
            "new_name": student.name,
            "new_sex": student.sex_label,
            "new_birth_date": student.birth_date.isoformat() if student.birth_date else "",
            "new_ethnicity": student.ethnicity or "",
            "new_id_doc_type": "居民身份证" if student.id_doc_type == "1" else "其他",
            "new_id_doc_number": student.masked_id_number,
            "new_nationality": student.nationality or "",
        }


class ReviewForm(TaskForm):
    """学校审核, 区县核办 and 市级审核 of the same request."""

    approval: ClassVar[dict[str, str] | None] = {"decision": "通过"}  # 批量办理 submits this with one opinion

    key = "key_data_change.review"
    title = "关键数据变更审核"

    decision = RadioField(
        "审核结果", choices=[SelectChoice("通过"), SelectChoice("不通过")], validators=[DataRequired("请选择审核结果")]
    )
    comment = TextAreaField("审核意见", validators=[TEXT])

    def validate_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "不通过" and not (field.data or "").strip():
            raise ValidationError("不通过时必须填写原因")
