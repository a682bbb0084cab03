"""学校合并、撤销 / 更名 / 校区增撤 (F-50): the steps of processes/school_change.bpmn.

Code rules (R5): a rename keeps the school code; in a merge the receiving school keeps its code and the merged
school's code is voided; a closed school's code is voided. A voided code stays on the closed school's row (the
unique column), so no other school can take it, and the organisation import refuses it (handlers/orgs.py).
Record effects (R23): the merged (or closed) school's records move to the receiving school, its cohorts and classes
become the receiving school's (classes renumbered where a number is taken). Preconditions (Rec.): no pending
business at the school; every in-school student gets a target (the receiving school). Each moved record gets an
audit row with the reason (合并/撤销): the record's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from handlers.registry import HandlerContext, handler
from models import audit
from models.errors import DomainError
from models.org import Campus, Cohort, OrgUnit, School, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import CaseStatus, ProcessInstance

KINDS = ("合并", "撤销", "更名", "增设校区", "撤销校区")
NEEDS_TARGET = ("合并", "撤销")  # the kinds that move records (and are reviewed by the city)


def open_school(session: Session, code: str) -> School:
    school = session.scalar(select(School).where(School.school_code == code.strip()))
    if school is None:
        raise DomainError(f"没有学校标识码为「{code}」的学校")
    if school.closed_at is not None:
        raise DomainError(f"{school.name}已{school.closed_reason}，学校标识码已作废")
    return school


def pending_business(session: Session, school_id: int, *, besides: int | None = None) -> list[str]:
    """Titles of the open cases of the school or its students (the case asking is not pending business)."""
    students = select(Student.id).where(Student.school_id == school_id)
    query = select(ProcessInstance.title).where(
        ProcessInstance.status == CaseStatus.OPEN,
        or_(
            ProcessInstance.org_id == school_id,
            ProcessInstance.to_school_id == school_id,
            ProcessInstance.student_id.in_(students),
        ),
    )
    if besides is not None:
        query = query.where(ProcessInstance.id != besides)
    return list(session.scalars(query.order_by(ProcessInstance.id).limit(11)))


def _in_school(session: Session, school_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Student.id)).where(
                Student.school_id == school_id, Student.status == StudentStatus.IN_SCHOOL
            )
        )
        or 0
    )


def check(session: Session, school: School, case_id: int | None, form: dict[str, Any]) -> dict[str, Any]:
    """The request as the later steps need it, or a Chinese refusal; run at the start and again before applying."""
    kind = str(form.get("kind", ""))
    if kind not in KINDS:
        raise DomainError(f"变更类型须为：{'、'.join(KINDS)}")
    if school.closed_at is not None:
        raise DomainError(f"{school.name}已{school.closed_reason}，不能再变更")
    result: dict[str, Any] = {"kind": kind, "school": school.name, "school_code": school.school_code}
    if kind in NEEDS_TARGET:
        return result | _check_closure(session, school, case_id, kind, form)
    if kind == "更名":
        name = str(form.get("new_name") or "").strip()
        if not name or len(name) > 100:  # noqa: PLR2004 -- the column's length
            raise DomainError("请填写新校名（不超过100字）")
        if name == school.name:
            raise DomainError("新校名与现校名相同")
        return result | {"new_name": name}
    return result | _check_campus(session, school, kind, form)


def _check_closure(
    session: Session, school: School, case_id: int | None, kind: str, form: dict[str, Any]
) -> dict[str, Any]:
    pending = pending_business(session, school.org_id, besides=case_id)
    if pending:
        more = "等" if len(pending) > 10 else ""  # noqa: PLR2004 -- ten titles are enough to act on
        raise DomainError(f"{school.name}尚有在办业务，请先办结或清理：{'、'.join(pending[:10])}{more}")
    found: dict[str, Any] = {"in_school": _in_school(session, school.org_id)}
    code = str(form.get("target_code") or "").strip()
    if code:
        target = open_school(session, code)
        if target.org_id == school.org_id:
            raise DomainError("接收学校不能是本校")
        return found | {"target_id": target.org_id, "target": target.name}
    if kind == "合并":
        raise DomainError("合并须填写接收学校（合并后保留的学校）的标识码")
    if found["in_school"]:
        raise DomainError(f"{school.name}尚有{found['in_school']}名在校生，撤销前须指定接收学校")
    return found


def _check_campus(session: Session, school: School, kind: str, form: dict[str, Any]) -> dict[str, Any]:
    campus = str(form.get("campus_name") or "").strip()
    if not campus:
        raise DomainError("请填写校区名称")
    exists = session.scalar(select(Campus.id).where(Campus.school_id == school.org_id, Campus.name == campus))
    if kind == "增设校区" and exists:
        raise DomainError(f"{school.name}已有校区「{campus}」")
    if kind == "撤销校区" and not exists:
        raise DomainError(f"{school.name}没有校区「{campus}」")
    address = str(form.get("campus_address_code") or "").strip()
    if kind == "增设校区" and not (len(address) == 12 and address.isdigit()):  # noqa: PLR2004 -- §3.3
        raise DomainError("校区所在地区划代码须为12位数字")
    return {"campus_name": campus, "campus_address_code": address}


@handler(
    "school_change.check",
    repeatable=True,
    results={
        "kind": "str",
        "school": "str",
        "school_code": "str",
        "new_name": "str",
        "in_school": "int",
        "target_id": "int",
        "target": "str",
    },
)
def check_request(ctx: HandlerContext, *, form: dict[str, Any]) -> dict[str, Any]:
    return check(ctx.session, ctx.session.get_one(School, ctx.case.org_id), ctx.case.id, form)


@handler("school_change.apply", results={"passed": "bool"})
def apply(ctx: HandlerContext, *, form: dict[str, Any], review: dict[str, Any] | None = None) -> dict[str, Any]:
    """After the review (merge, closure) or directly (filings): re-check, then change; ``passed`` for the gateway."""
    if review is not None and review.get("decision") != "通过":
        return {"passed": False}
    school = ctx.session.get_one(School, ctx.case.org_id)
    plan = check(ctx.session, school, ctx.case.id, form)
    kind = plan["kind"]
    if kind in NEEDS_TARGET:
        target = ctx.session.get_one(School, plan["target_id"]) if "target_id" in plan else None
        plan["moved"] = close(ctx.session, ctx.actor, school, target, reason=kind, case_id=ctx.case.id, now=ctx.now)
    elif kind == "更名":
        rename(ctx.session, ctx.actor, school, plan["new_name"], case_id=ctx.case.id)
    elif kind == "增设校区":
        campus = Campus(
            school_id=school.org_id,
            name=plan["campus_name"],
            address_code=plan["campus_address_code"],
            manager=str(form.get("campus_manager") or ""),
            phone=str(form.get("campus_phone") or ""),
        )
        ctx.session.add(campus)
        _audit(ctx, school, "增设校区", {}, {"campus": campus.name})
    else:
        campus_row = ctx.session.scalars(
            select(Campus).where(Campus.school_id == school.org_id, Campus.name == plan["campus_name"])
        ).one()
        ctx.session.delete(campus_row)
        _audit(ctx, school, "撤销校区", {"campus": campus_row.name}, {})
    ctx.session.flush()
    return {"passed": True, **plan}


def _audit(ctx: HandlerContext, school: School, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action=action,
        entity="school",
        entity_id=school.org_id,
        before=before,
        after=after,
        instance_id=ctx.case.id,
    )


def rename(session: Session, actor: User | None, school: School, name: str, *, case_id: int | None) -> None:
    """更名: the name changes, the code stays (R5)."""
    before = school.org.name
    school.org.name = name
    audit.record(
        session,
        actor=actor,
        action="学校更名",
        entity="school",
        entity_id=school.org_id,
        before={"name": before, "school_code": school.school_code},
        after={"name": name, "school_code": school.school_code},
        instance_id=case_id,
    )


def _remap_classes(session: Session, school: School, target: School) -> int:
    """The school's cohorts become the target's; where the target has the same cohort, the classes join it,
    renumbered after the target's last class when their number is taken."""
    moved = 0
    stages = target.stage_list
    for cohort in session.scalars(select(Cohort).where(Cohort.school_id == school.org_id)).all():
        if cohort.stage not in stages:
            stages.append(cohort.stage)
        same = session.scalar(
            select(Cohort).where(
                Cohort.school_id == target.org_id,
                Cohort.stage == cohort.stage,
                Cohort.cohort_year == cohort.cohort_year,
            )
        )
        if same is None:
            cohort.school_id = target.org_id
            moved += len(cohort.classes)
            continue
        taken = {c.class_no for c in same.classes}
        coming = list(cohort.classes)
        numbers = [int(n) for n in taken | {c.class_no for c in coming} if n.isdigit()]
        next_no = max(numbers, default=0) + 1  # past every number of both cohorts: a new number is free
        for school_class in coming:
            if school_class.class_no in taken:
                school_class.class_no = str(next_no)
                school_class.name = f"{school_class.name}（原{school.name}）"[:50]
                next_no += 1
            taken.add(school_class.class_no)
            school_class.cohort_id = same.id
            moved += 1
        session.flush()
        session.expire(cohort)
        session.delete(cohort)
    target.stages = ",".join(stage.value for stage in sorted(stages, key=list(Stage).index))
    return moved


def close(
    session: Session,
    actor: User | None,
    school: School,
    target: School | None,
    *,
    reason: str,
    case_id: int | None,
    now: datetime,
) -> dict[str, int]:
    """合并 into ``target`` or 撤销 (records handed to ``target`` when given): the records and classes move, the
    school's accounts are disabled, its code is voided with the school row (never reused)."""
    moved = {"students": 0, "classes": 0, "accounts": 0}
    if target is not None:
        ids = list(session.scalars(select(Student.id).where(Student.school_id == school.org_id)))
        moved["classes"] = _remap_classes(session, school, target)
        session.execute(update(Student).where(Student.id.in_(ids)).values(school_id=target.org_id))
        for student_id in ids:  # history rows: every record says why it moved (§F-50)
            audit.record(
                session,
                actor=actor,
                action=f"学校{reason}",
                entity="student",
                entity_id=student_id,
                before={"school_id": school.org_id, "school": school.name},
                after={"school_id": target.org_id, "school": target.name, "reason": reason},
                instance_id=case_id,
            )
        moved["students"] = len(ids)
    users = session.scalars(select(User).where(User.org_id == school.org_id, User.active)).all()
    for account in users:
        account.active = False
    moved["accounts"] = len(users)
    school.closed_at = now
    school.closed_reason = reason
    school.merged_into_id = target.org_id if target is not None and reason == "合并" else None
    audit.record(
        session,
        actor=actor,
        action=f"学校{reason}",
        entity="school",
        entity_id=school.org_id,
        before={"school_code": school.school_code, "name": school.name},
        after={"voided_code": school.school_code, "target": target.name if target else None, **moved},
        instance_id=case_id,
    )
    session.flush()
    return moved


def in_county(session: Session, county: OrgUnit) -> list[School]:
    """Open schools of a county (and its subtree), for the start page's pickers."""
    return list(
        session.scalars(
            select(School)
            .join(School.org)
            .where(OrgUnit.path.like(f"{county.path}%"), School.closed_at.is_(None))
            .order_by(School.school_code)
        )
    )
