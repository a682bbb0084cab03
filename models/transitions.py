"""The allowed record-status transitions of domain.md §4.3: the ONE place that holds them.

Every change of ``Student.status`` goes through ``change_status``, which refuses anything not in ``ALLOWED`` with a
Chinese message and writes the audit event (who, when, before, after). "Everything not listed is forbidden."
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError
from models.student import Student, StudentStatus
from models.user import User

S = StudentStatus

TERMINAL = frozenset({S.DECEASED, S.WITHDRAWN, S.DELETED})
GRADUATE_STATES = frozenset({S.GRADUATED, S.COMPLETED, S.INCOMPLETE})
# "any non-terminal" of T10 and T15: graduates and transferred-out records are terminal for these purposes too
# (a graduate must first be rejected back to 在校, §4.3 "in particular").
NON_TERMINAL = frozenset({S.IN_SCHOOL, S.SUSPENDED, S.ABROAD, S.OTHER_DEPARTURE, S.DROPOUT})

# (from, to) → the row of §4.3 that allows it. T4 (in_school → in_school in another cohort/class) is a move, not a
# status change: ``check_move`` allows it for in-school records only.
ALLOWED: dict[tuple[StudentStatus, StudentStatus], str] = {
    (S.REGISTERING, S.IN_SCHOOL): "T1",  # registration approved (F-13)
    (S.REGISTERING, S.DELETED): "T15",  # a duplicate registration deleted as a problem record (F-16)
    (S.IN_SCHOOL, S.SUSPENDED): "T5",
    (S.IN_SCHOOL, S.ABROAD): "T6",
    (S.IN_SCHOOL, S.OTHER_DEPARTURE): "T7",
    (S.IN_SCHOOL, S.DROPOUT): "T8",
    **{(source, S.IN_SCHOOL): "T9" for source in (S.SUSPENDED, S.ABROAD, S.OTHER_DEPARTURE, S.DROPOUT)},
    **{(source, S.DECEASED): "T10" for source in NON_TERMINAL},
    **{(S.IN_SCHOOL, target): "T11" for target in GRADUATE_STATES},
    **{(source, S.IN_SCHOOL): "T12" for source in GRADUATE_STATES},
    (S.IN_SCHOOL, S.TRANSFERRED_OUT): "T13",
    # T13 also ends 毕业后跨省就学 (F-43): the graduate's (毕结业, seed 002) archive goes to the admitting province.
    (S.GRADUATED, S.TRANSFERRED_OUT): "T13",
    (S.COMPLETED, S.TRANSFERRED_OUT): "T13",
    (S.TRANSFERRED_OUT, S.IN_SCHOOL): "T14",
    **{(source, S.DELETED): "T15" for source in NON_TERMINAL},
    (S.IN_SCHOOL, S.WITHDRAWN): "T16",
}


def refusal(current: StudentStatus, target: StudentStatus) -> str | None:
    """The Chinese reason a transition is refused, or None when §4.3 allows it."""
    if (current, target) in ALLOWED:
        return None
    if current in TERMINAL:
        return f"学籍状态为「{current.label}」的记录不能再变更（终止状态）"
    if current in GRADUATE_STATES and target is not S.IN_SCHOOL:
        return f"学籍状态为「{current.label}」，须先由区县驳回为在校后才能办理「{target.label}」"
    return f"学籍状态「{current.label}」不能变更为「{target.label}」"


def check(student: Student, target: StudentStatus) -> None:
    """Raise ``DomainError`` unless the student's record may move to ``target``."""
    reason = refusal(StudentStatus(student.status), target)
    if reason:
        raise DomainError(f"学生{student.name}：{reason}")


def check_move(student: Student) -> None:
    """T4: only an in-school record changes cohort or class (promotion, skip/repeat, class change, transfer)."""
    if student.status != S.IN_SCHOOL:
        raise DomainError(f"学生{student.name}的学籍状态为「{student.status_label}」，只有在校学生可以调整年级或班级")


def change_status(
    session: Session,
    student: Student,
    target: StudentStatus,
    *,
    actor: User | None,
    action: str,
    instance_id: int | None = None,
    extra: dict[str, Any] | None = None,
    class_id: int | None = None,
) -> None:
    """Move the record along an allowed transition (and, when given, into ``class_id``) and write the audit
    event; refuses anything else."""
    check(student, target)
    before = {"status": StudentStatus(student.status).value, "class_id": student.class_id}
    student.status = target
    if class_id is not None:
        student.class_id = class_id
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="student",
        entity_id=student.id,
        before=before,
        after={"status": target.value, "class_id": student.class_id, **(extra or {})},
        instance_id=instance_id,
    )
