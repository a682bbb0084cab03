"""The one place that maps a diagram lane (a role relative to the case) to a concrete seat.

A seat is (organisation, role): the inbox row of a READY task gets it, and only users holding both may act.
Publishing a diagram whose lane is not a key of ``LANES`` is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.jurisdiction import common_superior
from models.org import OrgLevel, OrgUnit, School
from models.student import Student
from models.user import Role
from models.workflow import ProcessInstance


@dataclass(frozen=True)
class Seat:
    org_id: int
    role: Role


LaneResolver = Callable[[Session, ProcessInstance], Seat]


def _school(session: Session, case: ProcessInstance) -> Seat:
    return Seat(case.org_id, Role.SCHOOL_REGISTRAR)


def _school_reviewer(session: Session, case: ProcessInstance) -> Seat:
    """学籍异动学校审核 (F-21 step 2): the school's reviewer, who may be the registrar's colleague (Q-30)."""
    return Seat(case.org_id, Role.SCHOOL_REVIEWER)


def _record_authority(session: Session, case: ProcessInstance) -> Seat:
    """The school's 学籍主管部门 (§0.3): the county for compulsory schools, whatever the school row says."""
    school = session.get_one(School, case.org_id)
    return Seat(school.record_authority_id, Role.COUNTY_OFFICER)


def _other_student(session: Session, case: ProcessInstance) -> Student:
    """The second record of a two-party case (问题学籍): its id is the case summary's ``other_student``."""
    other_id = str(case.summary.get("other_student", ""))
    if not other_id.isdigit():
        raise LookupError(f"case {case.id} names no other student")
    return session.get_one(Student, int(other_id))


def _other_school(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_other_student(session, case).school_id, Role.SCHOOL_REGISTRAR)


def _other_authority(session: Session, case: ProcessInstance) -> Seat:
    school = session.get_one(School, _other_student(session, case).school_id)
    return Seat(school.record_authority_id, Role.COUNTY_OFFICER)


OFFICER_OF_LEVEL = {
    OrgLevel.COUNTY: Role.COUNTY_OFFICER,
    OrgLevel.CITY: Role.CITY_OFFICER,
    OrgLevel.PROVINCE: Role.PROVINCE_OFFICER,
    OrgLevel.NATIONAL: Role.NATIONAL_OFFICER,
}


def _common_superior(session: Session, case: ProcessInstance) -> Seat:
    """§2.4: the lowest common ancestor of both records' record authorities (F-17 arbitration)."""
    unit = common_superior(session, [case.org_id, _other_student(session, case).school_id])
    return Seat(unit.id, OFFICER_OF_LEVEL[unit.level])


def _city(session: Session, case: ProcessInstance) -> Seat:
    """市级: the city above the school's record authority; in a municipality (no city level) the province."""
    authority = session.get_one(School, case.org_id).record_authority
    chain = [session.get_one(OrgUnit, i) for i in reversed(authority.ancestor_ids())]
    unit = next(u for u in chain if u.level in (OrgLevel.CITY, OrgLevel.PROVINCE, OrgLevel.NATIONAL))
    return Seat(unit.id, OFFICER_OF_LEVEL[unit.level])


LANES: dict[str, LaneResolver] = {
    "学校": _school,
    "学校审核": _school_reviewer,
    "区县": _record_authority,
    "市级": _city,
    "对方学校": _other_school,
    "对方区县": _other_authority,
    "共同上级": _common_superior,
}
