"""关键数据变更 (F-18, F-51): the steps of processes/key_data_change.bpmn."""

from __future__ import annotations

from typing import Any

from handlers.registration import mark_problem
from handlers.registry import HandlerContext, handler
from models import audit, codes, dedup
from models.attachment import Attachment
from models.business_calendar import province_id_of
from models.errors import DomainError
from models.settings import controlled_fields
from models.student import DedupStatus, Student, StudentStatus
from models.validation import check_id_number, id_birth_date, id_sex, parse_date

FIELDS = {  # request field → record column
    "new_name": "name",
    "new_sex": "sex",
    "new_birth_date": "birth_date",
    "new_ethnicity": "ethnicity",
    "new_id_doc_type": "id_doc_type",
    "new_id_doc_number": "id_doc_number",
    "new_nationality": "nationality",
}
LEVELS = ("county", "city")


def _value(column: str, raw: str) -> Any:
    if column == "birth_date":
        born = parse_date(raw)
        if born is None:
            raise DomainError("变更后的出生日期不是有效日期")
        return born.isoformat()
    if column == "ethnicity":
        raw = codes.ETHNICITY_ALIASES.get(raw, raw)
        if raw not in codes.ETHNICITIES:
            raise DomainError(f"民族「{raw}」不是允许的选项")
    if column == "id_doc_number":
        return raw.upper()
    return raw


@handler(
    "keydata.check_request", repeatable=True, results={"changes": "dict", "before": "dict", "approval_level": "str"}
)
def check_request(ctx: HandlerContext, *, student_id: int, form: dict[str, Any]) -> dict[str, Any]:
    """Only 在校 records (graduates are first rejected back); only controlled fields; §3.9 on the result; proof."""
    student = ctx.session.get_one(Student, student_id)
    if student.status != StudentStatus.IN_SCHOOL:
        raise DomainError(f"学生{student.name}的学籍状态为「{student.status_label}」，须为在校学生才能申请关键数据变更")
    controlled = controlled_fields(ctx.session, province_id_of(ctx.session, student.school_id))
    changes = {}
    for key, column in FIELDS.items():
        raw = str(form.get(key) or "").strip()
        if raw and column in controlled:
            value = _value(column, raw)
            if value != _current(student, column):
                changes[column] = value
    if not changes:
        raise DomainError("请至少填写一项与现有信息不同的关键数据")
    _check_identity({**{c: _current(student, c) for c in FIELDS.values()}, **changes})
    ids = [int(i) for i in str(form.get("evidence_ids") or "").split(",") if i.strip().isdigit()]
    if not ids:
        raise DomainError("关键数据变更须上传证明材料（户口簿、派出所证明等）")
    for attachment_id in ids:
        attachment = ctx.session.get(Attachment, attachment_id)
        if attachment is None or not _may_link(ctx, attachment):
            raise DomainError("证明材料不存在")
        attachment.instance_id, attachment.student_id = ctx.case.id, student.id
    level = max((controlled[c][1] for c in changes), key=LEVELS.index)
    before = {c: _current(student, c) for c in changes}
    return {"changes": changes, "before": before, "approval_level": level}


def _current(student: Student, column: str) -> Any:
    value = getattr(student, column)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _check_identity(record: dict[str, Any]) -> None:
    """V-02 on the record as it would be after the change."""
    if record["id_doc_type"] not in codes.ID_DOC_TYPES:
        raise DomainError("身份证件类型不是允许的选项")
    if record["id_doc_type"] != "1":
        return
    number = record["id_doc_number"] or ""
    problem = check_id_number(number)
    if problem:
        raise DomainError(problem)
    if id_birth_date(number).isoformat() != record["birth_date"]:
        raise DomainError("出生日期与身份证件号不一致")
    if id_sex(number) != record["sex"]:
        raise DomainError("性别与身份证件号不一致")


@handler("keydata.apply", results={"duplicates": "list"})
def apply(ctx: HandlerContext, *, student_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Approved: change the values, keep old and new in the audit trail, and run 查重 again (F-11 trigger)."""
    student = ctx.session.get_one(Student, student_id)
    before = {c: _current(student, c) for c in changes}
    for column, value in changes.items():
        setattr(student, column, parse_date(value) if column == "birth_date" else value)
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="关键数据变更",
        entity="student",
        entity_id=student.id,
        before=before,
        after=dict(changes),
        instance_id=ctx.case.id,
    )
    ctx.session.flush()
    key = dedup.key_of(student.id_doc_number, student.name, student.sex, student.birth_date)
    others = [i for i in dedup.find(ctx.session, [key]).get(key, []) if i != student.id]
    if others:
        problem_type = "2" if student.id_doc_number else "3"
        mark_problem(ctx.session, student, problem_type, ctx.actor)
        student.dedup_status = DedupStatus.PROBLEM
        for other_id in others:
            mark_problem(ctx.session, ctx.session.get_one(Student, other_id), problem_type, ctx.actor)
    return {"duplicates": others}


def _may_link(ctx: HandlerContext, attachment: Attachment) -> bool:
    """Proof already on this case, or uploaded by the acting user and not yet linked to any case."""
    if attachment.instance_id is not None:
        return attachment.instance_id == ctx.case.id
    return ctx.actor is not None and attachment.uploaded_by_id == ctx.actor.id
