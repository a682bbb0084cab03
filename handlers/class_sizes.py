"""班额配置 (F-52): an authority (province, city or county) sets the most students per class of each stage for its
area, or for one school of its area (an override), with an optional warning threshold.

A setting may tighten what an organisation above configured, never loosen it: a county cannot allow 60 where the
province allows 50.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, contains_eager

from models import audit
from models.class_size import ClassSizeLimit, rows_above
from models.errors import DomainError
from models.jurisdiction import in_subtree, schools_visible_to
from models.org import OrgLevel, OrgUnit, School, Stage
from models.user import User

MAX_CLASS_SIZE = 100
SETTING_LEVELS = (OrgLevel.NATIONAL, OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY)


def target_org(session: Session, actor: User, school_code: str = "") -> OrgUnit:
    """The actor's own organisation, or with a 学校标识码 one school of its area."""
    if actor.org.level not in SETTING_LEVELS:
        raise DomainError("班额由省、市、区县学籍主管部门配置")
    code = school_code.strip()
    if not code:
        return actor.org
    school = session.scalars(
        schools_visible_to(actor).join(School, School.org_id == OrgUnit.id).where(School.school_code == code)
    ).first()
    if school is None:
        raise DomainError(f"学校标识码{code}不是本辖区的学校")
    return school


def _check(session: Session, org: OrgUnit, stage: Stage, max_students: int, warn_at: int | None) -> None:
    if not 0 < max_students <= MAX_CLASS_SIZE:
        raise DomainError(f"班额须在1至{MAX_CLASS_SIZE}人之间")
    if warn_at is not None and not 0 < warn_at <= max_students:
        raise DomainError("预警人数须在1人至班额之间")
    above = rows_above(session, org.parent, stage) if org.parent is not None else []
    if above and max_students > above[0].max_students:
        raise DomainError(f"{stage.label}班额不能超过{above[0].org.name}设置的{above[0].max_students}人")


def set_limit(
    session: Session, actor: User, org: OrgUnit, stage: Stage, *, max_students: int, warn_at: int | None
) -> ClassSizeLimit:
    """Set (or change) the organisation's 班额 for a stage; ``org`` comes from ``target_org``."""
    _check(session, org, stage, max_students, warn_at)
    row = _own_row(session, org.id, stage)
    before = _snapshot(row)
    if row is None:
        row = ClassSizeLimit(org_id=org.id, stage=stage, max_students=max_students)
        session.add(row)
    row.max_students, row.warn_at, row.set_by_id = max_students, warn_at, actor.id
    session.flush()
    _audit(session, actor, row, before=before, after={**_snapshot(row), "org": org.name})
    return row


def clear_limit(session: Session, actor: User, org: OrgUnit, stage: Stage) -> None:
    """恢复默认: drop the organisation's own setting; the one above (or the default) applies again."""
    row = _own_row(session, org.id, stage)
    if row is None:
        raise DomainError(f"{org.name}没有单独设置{stage.label}班额")
    _audit(session, actor, row, before={**_snapshot(row), "org": org.name}, after={})
    session.delete(row)
    session.flush()


def settings_in_area(session: Session, actor: User) -> list[ClassSizeLimit]:
    """The settings of the actor's organisation and everything below it, in tree order."""
    stage_order = case(*((ClassSizeLimit.stage == stage, i) for i, stage in enumerate(Stage)))
    query = (
        select(ClassSizeLimit)
        .join(ClassSizeLimit.org)
        .options(contains_eager(ClassSizeLimit.org))
        .where(in_subtree(actor, ClassSizeLimit.org_id))
        .order_by(func.length(OrgUnit.path), OrgUnit.path, stage_order)
    )
    return list(session.scalars(query))


def _own_row(session: Session, org_id: int, stage: Stage) -> ClassSizeLimit | None:
    return session.scalars(
        select(ClassSizeLimit).where(ClassSizeLimit.org_id == org_id, ClassSizeLimit.stage == stage)
    ).one_or_none()


def _snapshot(row: ClassSizeLimit | None) -> dict[str, object]:
    if row is None:
        return {}
    return {"stage": row.stage.value, "班额": row.max_students, "预警人数": row.warn_at}


def _audit(
    session: Session, actor: User, row: ClassSizeLimit, *, before: dict[str, object], after: dict[str, object]
) -> None:
    audit.record(
        session, actor=actor, action="班额配置", entity="class_size_limit", entity_id=row.id, before=before, after=after
    )
