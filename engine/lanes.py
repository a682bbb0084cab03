"""The one place that maps a diagram lane (a role relative to the case) to a concrete seat.

A seat is (organisation, role): the inbox row of a READY task gets it, and only users holding both may act.
Publishing a diagram whose lane is not a key of ``LANES`` is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.org import School
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


LANES: dict[str, LaneResolver] = {
    "学校": _school,
    "学校审核": _school_reviewer,
    "区县": _record_authority,
}
