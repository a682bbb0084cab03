"""问题学籍 (F-16, F-17): the steps of processes/problem_record.bpmn.

A case joins two records (``student_id`` = side a, the case's subject; ``other_student_id`` = side b). Each side's
progress is kept on its record (``problem_state``), not in task data, so both parallel branches read the truth;
``evaluate`` applies the four situations of the spec after every round.
"""

from __future__ import annotations

from typing import Any

from handlers.registration import mark_problem
from handlers.registry import HandlerContext, handler
from models import audit, dedup, transitions
from models.attachment import Attachment
from models.errors import DomainError
from models.student import DedupStatus, RegistrationState, Student, StudentStatus
from models.validation import check_id_number, parse_date

KEY_CHANGES = {  # 变更 form field → record column
    "new_name": "name",
    "new_sex": "sex",
    "new_birth_date": "birth_date",
    "new_id_doc_number": "id_doc_number",
}


def _record(ctx: HandlerContext, student_id: int) -> Student:
    return ctx.session.get_one(Student, student_id)


def _set_state(ctx: HandlerContext, student: Student, state: str, **after: Any) -> None:
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="问题学籍处理",
        entity="student",
        entity_id=student.id,
        before={"problem_state": student.problem_state, **{k: _plain(getattr(student, k)) for k in after}},
        after={"problem_state": state, **{k: _plain(v) for k, v in after.items()}},
        instance_id=ctx.case.id,
    )
    student.problem_state = state


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@handler(
    "problems.open",
    results={"other_student_id": "int", "problem_type": "str", "a_settled": "bool", "b_settled": "bool"},
)
def open_case(ctx: HandlerContext, *, student_id: int, other_student: str) -> dict[str, Any]:
    """Both records become problem records of the type 查重 found; nobody has processed yet (situation 1)."""
    a, b = _record(ctx, student_id), _record(ctx, int(other_student))
    problem_type = "2" if a.id_doc_number and a.id_doc_number == b.id_doc_number else "3"
    for student in (a, b):
        mark_problem(ctx.session, student, problem_type, ctx.actor)
        student.problem_state = "未处理"
    return {"other_student_id": b.id, "problem_type": problem_type, "a_settled": False, "b_settled": False}


@handler("problems.record_action", repeatable=True, results={"state": "str"})
def record_action(ctx: HandlerContext, *, student_id: int, form: dict[str, Any]) -> dict[str, Any]:
    """佐证 or 变更 was chosen: check it, link the proof, and wait for the record authority."""
    student = _record(ctx, student_id)
    action = form.get("action")
    if student.problem_type == "1" and action == "佐证":
        raise DomainError("身份证号错误的问题学籍只能删除或变更")
    if action == "变更":
        _check_changes(form)
    ids = [int(i) for i in str(form.get("evidence_ids") or "").split(",") if i.strip().isdigit()]
    if not ids:
        raise DomainError(f"{action}须上传证明材料")
    for attachment_id in ids:
        attachment = ctx.session.get(Attachment, attachment_id)
        if attachment is None or not _may_link(ctx, attachment):
            raise DomainError("证明材料不存在")
        attachment.instance_id, attachment.student_id = ctx.case.id, student.id
    _set_state(ctx, student, f"{action}待核办")
    return {"state": student.problem_state}


def _check_changes(form: dict[str, Any]) -> None:
    if not any(form.get(k) for k in KEY_CHANGES):
        raise DomainError("变更须填写至少一项变更后的关键数据")
    number = str(form.get("new_id_doc_number") or "")
    if number:
        problem = check_id_number(number.upper())
        if problem:
            raise DomainError(problem)
    if form.get("new_birth_date") and parse_date(form["new_birth_date"]) is None:
        raise DomainError("变更后的出生日期不是有效日期")


@handler("problems.delete", results={"state": "str"})
def delete(ctx: HandlerContext, *, student_id: int, reason: str) -> dict[str, Any]:
    """删除 needs no review; the record stays queryable as 已删除 (§4.2, T15)."""
    student = _record(ctx, student_id)
    if student.status != StudentStatus.DELETED:
        transitions.check(student, StudentStatus.DELETED)  # T15 (§4.3)
        _set_state(ctx, student, "已删除", status=StudentStatus.DELETED.value)
        student.status = StudentStatus.DELETED
        student.deleted_at = ctx.now
        audit.record(
            ctx.session,
            actor=ctx.actor,
            action="问题学籍删除",
            entity="student",
            entity_id=student.id,
            before={},
            after={"reason": reason},
            instance_id=ctx.case.id,
        )
    return {"state": student.problem_state}


@handler("problems.apply_review", results={"state": "str", "settled": "bool"})
def apply_review(
    ctx: HandlerContext, *, student_id: int, other_student_id: int, form: dict[str, Any], review: dict[str, Any]
) -> dict[str, Any]:
    """The authority's decision on 佐证 or 变更; an approved 变更 changes the key data (old and new in the audit).
    ``settled`` is false when the side must process again: proof refused, or the corrected record still collides."""
    student = _record(ctx, student_id)
    action, passed = form.get("action"), review.get("decision") == "通过"
    if not passed:
        _set_state(ctx, student, f"{action}未通过")
        return {"state": student.problem_state, "settled": False}
    if action == "变更":
        changes = {column: form[key] for key, column in KEY_CHANGES.items() if form.get(key)}
        if "birth_date" in changes:
            changes["birth_date"] = parse_date(changes["birth_date"])
        if "id_doc_number" in changes:
            changes["id_doc_number"] = changes["id_doc_number"].upper()
            changes["id_doc_type"] = "1"
        _set_state(ctx, student, "变更通过", **changes)
        for column, value in changes.items():
            setattr(student, column, value)
        other = _record(ctx, other_student_id)
        if other.status != StudentStatus.DELETED and _conflict(student, other):
            _set_state(ctx, student, "变更后仍重复")
            return {"state": student.problem_state, "settled": False}
    else:
        _set_state(ctx, student, "佐证通过")
    return {"state": student.problem_state, "settled": True}


def _conflict(a: Student, b: Student) -> bool:
    key = dedup.key_of
    return key(a.id_doc_number, a.name, a.sex, a.birth_date) == key(b.id_doc_number, b.name, b.sex, b.birth_date)


@handler("problems.evaluate", results={"other_student_id": "int", "outcome": "str"})
def evaluate(ctx: HandlerContext, *, student_id: int, other_student_id: int) -> dict[str, Any]:
    """Both sides have settled (删除, 佐证通过 or 变更通过): no conflict left ⇒ ``resolved`` (the remaining records
    become normal); otherwise every remaining side's 佐证 was approved ⇒ ``arbitrate`` (situation 4, F-17)."""
    a, b = _record(ctx, student_id), _record(ctx, other_student_id)
    alive = [s for s in (a, b) if s.status != StudentStatus.DELETED]
    if len(alive) == 2 and _conflict(a, b):
        return {"other_student_id": b.id, "outcome": "arbitrate"}
    _resolve(ctx, alive)
    return {"other_student_id": b.id, "outcome": "resolved"}


def _resolve(ctx: HandlerContext, records: list[Student]) -> None:
    """The remaining records become normal records: flag cleared, a pending registration may be reviewed."""
    for student in records:
        audit.record(
            ctx.session,
            actor=ctx.actor,
            action="问题学籍解除",
            entity="student",
            entity_id=student.id,
            before={"problem_type": student.problem_type},
            after={"problem_type": None},
            instance_id=ctx.case.id,
        )
        student.problem_type = None
        if student.registration_state == RegistrationState.DEDUP_PROBLEM:
            student.registration_state = RegistrationState.DEDUP_OK
            student.dedup_status = DedupStatus.OK


@handler("problems.apply_arbitration", results={"passed": "list"})
def apply_arbitration(
    ctx: HandlerContext, *, student_id: int, other_student_id: int, decision_a: str, decision_b: str
) -> dict[str, Any]:
    """F-17: pass ⇒ a normal record; fail ⇒ it stays a problem record. Same ID number: at most one may pass."""
    a, b = _record(ctx, student_id), _record(ctx, other_student_id)
    if a.problem_type == "2" and decision_a == decision_b == "通过":
        raise DomainError("身份证号重复的问题学籍，仲裁时最多只能一方通过")
    passed = []
    for student, decision in ((a, decision_a), (b, decision_b)):
        _set_state(ctx, student, "仲裁通过" if decision == "通过" else "仲裁未通过")
        if decision == "通过":
            passed.append(student)
    _resolve(ctx, passed)
    return {"passed": [s.id for s in passed]}


def _may_link(ctx: HandlerContext, attachment: Attachment) -> bool:
    """Proof already on this case, or uploaded by the acting user and not yet linked to any case."""
    if attachment.instance_id is not None:
        return attachment.instance_id == ctx.case.id
    return ctx.actor is not None and attachment.uploaded_by_id == ctx.actor.id
