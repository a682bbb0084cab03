"""The one place that maps a diagram lane (a role relative to the case) to a concrete seat.

A seat is (organisation, role): the inbox row of a READY task gets it, and only users holding both may act.
Publishing a diagram whose lane is not a key of ``LANES`` is refused.

Transfers (F-29…F-32): the case's ``org_id`` is the student's (sending) school and ``to_school_id`` the
receiving school, both stored when the case starts; every other seat is derived from those two.

The record follows the student (籍随人走): the lanes 学校, 学校审核, 区县 and 共同上级 resolve from the school the
case's student attends *now*, so a problem record admitted by another school is processed there (F-47). A seat
names the records it acts for; while one of them is locked for admission the seat only looks on
(``engine.seats``). When a student changes school or lock, ``engine.seats`` re-resolves the open seats.
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
    records: tuple[int, ...] = ()  # the student records this seat acts for (their lock locks the seat)


LaneResolver = Callable[[Session, ProcessInstance], Seat]


class LaneUnresolvable(LookupError):
    """The case lacks the organisation a lane needs (e.g. no city above a municipality's district)."""


def _subject(case: ProcessInstance) -> tuple[int, ...]:
    return (case.student_id,) if case.student_id is not None else ()


def _subject_school_id(session: Session, case: ProcessInstance) -> int:
    """The school the case's student attends now; a case without a local student belongs to ``org_id``."""
    if case.student_id is None:
        return case.org_id
    return session.get_one(Student, case.student_id).school_id


def _school(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_subject_school_id(session, case), Role.SCHOOL_REGISTRAR, _subject(case))


def _school_reviewer(session: Session, case: ProcessInstance) -> Seat:
    """学籍异动学校审核 (F-21 step 2): the school's reviewer, who may be the registrar's colleague (Q-30)."""
    return Seat(_subject_school_id(session, case), Role.SCHOOL_REVIEWER, _subject(case))


def _authority_of(session: Session, school_id: int) -> int:
    """The school's 学籍主管部门 (§0.3): the county for compulsory schools, whatever the school row says."""
    return session.get_one(School, school_id).record_authority_id


def _record_authority(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_authority_of(session, _subject_school_id(session, case)), Role.COUNTY_OFFICER, _subject(case))


def _sending_school(session: Session, case: ProcessInstance) -> Seat:
    """转出学校 stays the school the transfer started from, even once the record has moved."""
    return Seat(case.org_id, Role.SCHOOL_REGISTRAR, _subject(case))


def _sending_authority(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_authority_of(session, case.org_id), Role.COUNTY_OFFICER, _subject(case))


def _receiving_school_id(case: ProcessInstance) -> int:
    if case.to_school_id is None:
        raise LaneUnresolvable(f"case {case.id} has no receiving school")
    return case.to_school_id


def _receiving_school(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_receiving_school_id(case), Role.SCHOOL_REGISTRAR)


def _receiving_county(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_authority_of(session, _receiving_school_id(case)), Role.COUNTY_OFFICER)


def _ancestor(session: Session, org_id: int, level: OrgLevel) -> int:
    unit = session.get_one(OrgUnit, org_id)
    for ancestor_id in reversed(unit.ancestor_ids()):
        if session.get_one(OrgUnit, ancestor_id).level == level:
            return ancestor_id
    raise LaneUnresolvable(f"no {level} above {unit.name}")


def _city_above(session: Session, county_id: int) -> Seat:
    """The city above a county; in a municipality (no city level, §2.1) the municipal commission itself."""
    try:
        return Seat(_ancestor(session, county_id, OrgLevel.CITY), Role.CITY_OFFICER)
    except LaneUnresolvable:
        province = session.get_one(OrgUnit, _ancestor(session, county_id, OrgLevel.PROVINCE))
        if not province.is_municipality:
            raise
        return Seat(province.id, Role.PROVINCE_OFFICER)


def _sending_city(session: Session, case: ProcessInstance) -> Seat:
    return _city_above(session, _authority_of(session, case.org_id))


def _receiving_city(session: Session, case: ProcessInstance) -> Seat:
    return _city_above(session, _authority_of(session, _receiving_school_id(case)))


def _sending_province(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_ancestor(session, case.org_id, OrgLevel.PROVINCE), Role.PROVINCE_OFFICER)


def _other_student(session: Session, case: ProcessInstance) -> Student:
    """The second record of a two-party case (问题学籍): its id is the case summary's ``other_student``."""
    other_id = str(case.summary.get("other_student", ""))
    if not other_id.isdigit():
        raise LookupError(f"case {case.id} names no other student")
    return session.get_one(Student, int(other_id))


def none_locked(session: Session, case: ProcessInstance) -> bool:
    """Whether no seat of the case can act for a record locked for admission, whatever its lane: a seat acts for
    the case's student (``_subject``) or the other party's record (``_other_student``), so a one-student case
    whose student is unlocked needs no lane resolved to know it."""
    if case.student_id is not None and session.get_one(Student, case.student_id).admission_lock:
        return False
    return "other_student" not in case.summary


def _other_school(session: Session, case: ProcessInstance) -> Seat:
    other = _other_student(session, case)
    return Seat(other.school_id, Role.SCHOOL_REGISTRAR, (other.id,))


def _other_authority(session: Session, case: ProcessInstance) -> Seat:
    other = _other_student(session, case)
    return Seat(_authority_of(session, other.school_id), Role.COUNTY_OFFICER, (other.id,))


OFFICER_OF_LEVEL = {
    OrgLevel.COUNTY: Role.COUNTY_OFFICER,
    OrgLevel.CITY: Role.CITY_OFFICER,
    OrgLevel.PROVINCE: Role.PROVINCE_OFFICER,
    OrgLevel.NATIONAL: Role.NATIONAL_OFFICER,
}


def _other_admitting_school_id(case: ProcessInstance) -> int:
    """The second admitting school of a duplicate admission (重复招生, F-46): the case summary's ``school_b``."""
    school_id = str(case.summary.get("school_b", ""))
    if not school_id.isdigit():
        raise LaneUnresolvable(f"case {case.id} names no other admitting school")
    return int(school_id)


def _other_admitting_school(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_other_admitting_school_id(case), Role.SCHOOL_REGISTRAR)


def _other_admitting_county(session: Session, case: ProcessInstance) -> Seat:
    return Seat(_authority_of(session, _other_admitting_school_id(case)), Role.COUNTY_OFFICER)


def _other_party(session: Session, case: ProcessInstance) -> tuple[int, tuple[int, ...]]:
    """The other party's school and the records it brings: an admitting school (F-46) or a record (F-17)."""
    if "school_b" in case.summary:
        return _other_admitting_school_id(case), ()
    other = _other_student(session, case)
    return other.school_id, (other.id,)


def _common_superior(session: Session, case: ProcessInstance) -> Seat:
    """§2.4: the lowest common ancestor of both parties' record authorities: the two records' schools (F-17
    arbitration) or the two admitting schools (F-46 arbitration)."""
    other_school_id, other_records = _other_party(session, case)
    unit = common_superior(session, [_subject_school_id(session, case), other_school_id])
    return Seat(unit.id, OFFICER_OF_LEVEL[unit.level], _subject(case) + other_records)


def _applying_county(session: Session, case: ProcessInstance) -> Seat:
    """公文流转 (F-60): the county that drafted the request; the case belongs to it."""
    return Seat(case.org_id, Role.COUNTY_OFFICER)


def _municipal(session: Session, case: ProcessInstance) -> Seat:
    """市教委审核, 市信息中心汇总 and 服务团队处理 of F-60: the province-level commission above the county (Beijing's
    municipal commission); the information centre and the service team act through its officers' seat until they
    have organisations of their own."""
    return Seat(_ancestor(session, case.org_id, OrgLevel.PROVINCE), Role.PROVINCE_OFFICER)


LANES: dict[str, LaneResolver] = {
    "学校": _school,
    "学校审核": _school_reviewer,
    "区县": _record_authority,
    "转入学校": _receiving_school,
    "转入区县": _receiving_county,
    "转入市级": _receiving_city,
    "转出学校": _sending_school,
    "转出区县": _sending_authority,
    "市级": _sending_city,
    "省级": _sending_province,
    "对方学校": _other_school,
    "对方区县": _other_authority,
    "共同上级": _common_superior,
    "对方招生学校": _other_admitting_school,
    "对方招生区县": _other_admitting_county,
    "申报区县": _applying_county,
    "市教委": _municipal,
    "市信息中心": _municipal,
    "服务团队": _municipal,
}
