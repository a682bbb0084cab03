"""Forms of the 公文流转 flow (F-60): the county's draft and submission, the municipal commission's review, the
information centre's consolidation, the service team's processing and its result."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from forms.base import TaskForm, VerdictForm
from models.document_flow import TYPES, DocCategory

OPINION = Length(max=500, message="不能超过500字")


class RequestForm(TaskForm):
    key = "document_flow.request"
    title = "公文流转：起草"

    category = RadioField(
        "类别",
        choices=[SelectChoice(c.value, c.label) for c in DocCategory],
        validators=[DataRequired("请选择红头文件申请或平台备案")],
    )
    doc_type = SelectField(
        "事项类型",
        choices=[SelectChoice(t, f"{c.label}：{t}") for c in DocCategory for t in TYPES[c]],
        validators=[DataRequired("请选择事项类型")],
    )
    student_name = StringField(
        "标题", validators=[DataRequired("请填写标题"), Length(max=100, message="标题不能超过100字")]
    )
    content = TextAreaField("内容", validators=[Length(max=2000, message="内容不能超过2000字")])
    attachment_ids = HiddenField()

    def validate_doc_type(self, field: SelectField) -> None:
        if self.category.data in set(DocCategory) and field.data not in TYPES[DocCategory(self.category.data)]:
            raise ValidationError(f"「{field.data}」不是{DocCategory(self.category.data).label}的事项类型")

    def to_task_data(self) -> dict[str, Any]:
        # ``student_name`` is the engine's name for what a case is about: here the request's title.
        data = super().to_task_data()
        return {**data, "title": data["student_name"]}


class SubmitForm(TaskForm):
    key = "document_flow.submit"
    title = "区县申报"

    comment = TextAreaField("申报说明", validators=[OPINION])


class ReviewForm(VerdictForm):
    key = "document_flow.review"
    title = "市教委审核"


class ConsolidateForm(TaskForm):
    key = "document_flow.consolidate"
    title = "市信息中心汇总"

    comment = TextAreaField("汇总意见", validators=[OPINION])


class ProcessForm(TaskForm):
    key = "document_flow.process"
    title = "服务团队处理"

    comment = TextAreaField("受理意见", validators=[OPINION])


class CloseForm(TaskForm):
    key = "document_flow.close"
    title = "结果反馈"

    result = TextAreaField("处理结果", validators=[DataRequired("请填写处理结果"), OPINION])
