"""Forms of the 问题学籍处理 flow (F-16, F-17)."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import TaskForm, VerdictForm

TEXT = Length(max=500, message="不能超过500字")


class OpenForm(TaskForm):
    """Filled by the system when 查重 finds a duplicate: the other record of the pair."""

    key = "problem_record.open"
    title = "问题学籍"

    other_student = StringField("重复的学籍", validators=[DataRequired("缺少重复的学籍")])


class ActionForm(TaskForm):
    """Each side's action: 删除 (no review), 佐证 or 变更 (proof, then the record authority)."""

    confirm_when: ClassVar[dict[tuple[str, str], str]] = {
        ("action", "删除"): "删除本校的这条问题学籍（状态改为已删除）"
    }

    key = "problem_record.action"
    title = "问题学籍处理"
    takes_files = True  # the task page offers an upload of proof files; their ids land in evidence_ids

    action = RadioField(
        "处理方式",
        choices=[SelectChoice("删除"), SelectChoice("佐证"), SelectChoice("变更")],
        validators=[DataRequired("请选择处理方式")],
    )
    statement = TextAreaField("情况说明", validators=[DataRequired("请填写情况说明"), TEXT])
    new_name = StringField("变更后姓名", validators=[Length(max=50)])
    new_sex = RadioField(
        "变更后性别", choices=[SelectChoice("1", "男"), SelectChoice("2", "女")], validate_choice=False
    )
    new_birth_date = StringField("变更后出生日期（YYYYMMDD）", validators=[Length(max=10)])
    new_id_doc_number = StringField("变更后身份证件号", validators=[Length(max=18)])
    evidence_ids = HiddenField("证明材料")

    def validate_evidence_ids(self, field: HiddenField) -> None:
        if self.action.data in ("佐证", "变更") and not (field.data or "").strip():
            raise ValidationError("佐证或变更须上传证明材料（户口簿、身份证、派出所证明等）")

    def validate_new_name(self, field: StringField) -> None:
        changes = (field.data, self.new_sex.data, self.new_birth_date.data, self.new_id_doc_number.data)
        if self.action.data == "变更" and not any(changes):
            raise ValidationError("变更须填写至少一项变更后的关键数据")

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        data["new_sex"] = data.get("new_sex") or ""
        return data


class ReviewForm(VerdictForm):
    key = "problem_record.review"
    title = "问题学籍核办"


class ArbitrationForm(TaskForm):
    key = "problem_record.arbitration"
    title = "问题学籍仲裁"

    decision_a = RadioField(
        "本案学籍（发起方）",
        choices=[SelectChoice("通过"), SelectChoice("不通过")],
        validators=[DataRequired("请裁定")],
    )
    decision_b = RadioField(
        "重复的学籍（对方）",
        choices=[SelectChoice("通过"), SelectChoice("不通过")],
        validators=[DataRequired("请裁定")],
    )
    comment = TextAreaField("仲裁意见", validators=[DataRequired("请填写仲裁意见"), TEXT])
