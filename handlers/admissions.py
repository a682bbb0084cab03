"""重复招生 (F-46): the steps of processes/duplicate_admission.bpmn.

A case joins two admissions of one graduate: ``admission_a`` (the earlier one; its school is the case's school,
lanes 学校/区县) and ``admission_b`` (the new one; lanes 对方招生学校/对方招生区县). Each school 删除 its admission
or 佐证 it for its county; after both, ``evaluate`` admits the only survivor, or sends two survivors to the
共同上级, whose ``arbitrate`` lets at most one pass. Making an admission 录取 goes through
``models.admission.admit``, which locks the student and is backed by a unique index.
"""

from __future__ import annotations

from typing import Any

from handlers.registry import HandlerContext, handler
from models import admission as adm
from models.admission import Admission, AdmissionStatus
from models.errors import DomainError
from models.org import Stage


def _admission(ctx: HandlerContext, admission_id: int) -> Admission:
    return ctx.session.get_one(Admission, admission_id)


@handler("admissions.school_action", results={"deleted": "bool"})
def school_action(ctx: HandlerContext, *, admission_id: int, form: dict[str, Any]) -> dict[str, Any]:
    """删除 ends this school's admission; 佐证 keeps it, with the school's opinion, for the county."""
    row = _admission(ctx, admission_id)
    if row.status != AdmissionStatus.DUPLICATE:
        raise DomainError(f"该录取记录已{row.status.label}，不能再处理")
    if form["action"] == "删除":
        adm.delete(ctx.session, row, ctx.actor, now=ctx.now, instance_id=ctx.case.id)
        return {"deleted": True}
    row.school_opinion = form.get("opinion") or ""
    return {"deleted": False}


@handler("admissions.county_review", results={"passed": "bool"})
def county_review(ctx: HandlerContext, *, admission_id: int, review: dict[str, Any]) -> dict[str, Any]:
    row = _admission(ctx, admission_id)
    if review["decision"] == "通过":
        row.county_passed = True
    else:
        adm.reject(ctx.session, row, ctx.actor, now=ctx.now, instance_id=ctx.case.id)
    return {"passed": row.county_passed}


@handler("admissions.evaluate", results={"survivors": "int", "arbitrate": "bool"})
def evaluate(ctx: HandlerContext, *, admission_a: int, admission_b: int) -> dict[str, Any]:
    """After both schools: none left → all fail; one left → it is admitted; two → arbitration."""
    adm.lock_student(ctx.session, _admission(ctx, admission_a).student_id)
    survivors = [
        row
        for row in (_admission(ctx, admission_a), _admission(ctx, admission_b))
        if row.status == AdmissionStatus.DUPLICATE
    ]
    if len(survivors) == 1:
        adm.admit(ctx.session, survivors[0], ctx.actor, now=ctx.now, instance_id=ctx.case.id)
    return {"survivors": len(survivors), "arbitrate": len(survivors) > 1}


@handler("admissions.arbitrate", results={"winner": "str"})
def arbitrate(ctx: HandlerContext, *, admission_a: int, admission_b: int, winner: str) -> dict[str, Any]:
    """重复招生仲裁: ``winner`` is "a", "b" or "none"; every admission but the winner is 不录取."""
    rows = {"a": _admission(ctx, admission_a), "b": _admission(ctx, admission_b)}
    adm.lock_student(ctx.session, rows["a"].student_id)  # first, so concurrent arbitrations queue here
    if winner not in ("a", "b", "none"):
        raise DomainError("请选择仲裁结果")
    for side, row in rows.items():
        if side != winner:
            adm.reject(ctx.session, row, ctx.actor, now=ctx.now, instance_id=ctx.case.id)
    if winner in rows:
        adm.admit(ctx.session, rows[winner], ctx.actor, now=ctx.now, instance_id=ctx.case.id)
    return {"winner": winner}


@handler("admissions.apply_plan_change", results={"passed": "bool"})
def apply_plan_change(
    ctx: HandlerContext, *, year: int, stage: str, planned: int, review: dict[str, Any]
) -> dict[str, Any]:
    """招生计划数变更核办 (F-39): pass ⇒ the school's plan is updated; fail ⇒ unchanged."""
    if review["decision"] != "通过":
        return {"passed": False}
    adm.set_plan(ctx.session, ctx.actor, ctx.case.org_id, year=year, stage=Stage(stage), planned=planned)
    return {"passed": True}
