"""Forms of the reviewer's verbs (forms/ keeps every form the pages show; these have no diagram step)."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.base import ChineseForm, TaskForm

TEXT = Length(max=500, message="不能超过500字")


class SignForm(TaskForm):
    """加签审核: the added signer agrees or not, with an opinion (required when not)."""

    key = "workbench.sign"
    title = "加签审核"

    decision = RadioField(
        "加签意见", choices=[SelectChoice("同意"), SelectChoice("不同意")], validators=[DataRequired("请选择加签意见")]
    )
    comment = TextAreaField("意见（不同意时必填）", validators=[TEXT])
    approval = {"decision": "同意"}

    def validate_comment(self, field: TextAreaField) -> None:
        if self.decision.data == "不同意" and not (field.data or "").strip():
            raise ValidationError("不同意时必须填写意见")


class ReturnForm(ChineseForm):
    target = StringField("退回到", validators=[DataRequired("请选择退回到哪一步")])
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因"), TEXT])


class PersonForm(ChineseForm):
    """转办 / 委派 / 加签 / 抄送: whom, and a note. Choices are the people the jurisdiction allows."""

    user_id = SelectField("人员", coerce=int, validators=[DataRequired("请选择人员")])
    note = TextAreaField("说明", validators=[TEXT])


class SignerForm(PersonForm):
    mode = RadioField(
        "加签方式",
        choices=[
            SelectChoice("before", "在我之前（先审核，再回到我）"),
            SelectChoice("after", "在我之后（我办理后还须其同意）"),
        ],
        default="before",
        validators=[DataRequired("请选择加签方式")],
    )


class NoteForm(ChineseForm):
    note = TextAreaField("说明", validators=[TEXT])


class CommentForm(ChineseForm):
    text = TextAreaField("意见", validators=[DataRequired("请填写意见"), TEXT])


class BulkForm(ChineseForm):
    opinion = TextAreaField("审批意见", validators=[TEXT])
    task_ids = StringField("任务")


class SavedViewForm(ChineseForm):
    name = StringField("视图名称", validators=[DataRequired("请填写视图名称"), Length(max=50, message="不能超过50字")])
