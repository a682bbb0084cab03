"""地区限制规则包「北京条件」(F-65), switched on per province in 基本系统设置 (``beijing_rules``).

Checked when a transfer starts (transfer.check_request, xp.check_request) and when a school admits a graduate
(webapp.admissions.admit_graduate); a refused rule names itself and how to get past it: an authority above the
receiving school grants an override (特批) with a reason, which is audited when granted and when used.
What a cross-province request does not know about the student (hukou, nationality, sending school) is not checked
there: the receiving side sees only the national number and the name until the archive arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError
from models.jurisdiction import is_superior_of
from models.org import Cohort, OrgUnit, School, Stage
from models.regional import (
    GradeQuota,
    RegionalOverride,
    SchoolAdmissionProfile,
    foreign_in_school,
    quota_of,
    records_in_grade,
)
from models.student import Student, has_national_id
from models.system_settings import setting
from models.user import User

RULES = {
    "non_local_senior": "非本市户籍高中学生",
    "model_school": "非示范校转入示范校",
    "quota": "学籍总量",
    "foreign": "外籍学生资格与计划",
}
OVERRIDE_HINT = "；确需办理的，请学籍主管部门特批（填写理由）后再提交"


@dataclass(frozen=True)
class Candidate:
    """Who would enter the receiving school: a local record, or only a number and a name (cross-province)."""

    name: str
    student_id: int | None = None
    national_student_id: str | None = None
    hukou_code: str | None = None
    nationality: str | None = None
    from_school_id: int | None = None

    @classmethod
    def of(cls, student: Student) -> Candidate:
        return cls(
            name=student.name,
            student_id=student.id,
            national_student_id=student.national_student_id,
            hukou_code=student.hukou_code,
            nationality=student.nationality,
            from_school_id=student.school_id,
        )


@dataclass(frozen=True)
class Entry:
    """Where the candidate would go: the school, its stage, and the grade (cohort) when it is known."""

    school_id: int
    stage: Stage
    cohort_id: int | None
    business: str  # 转学 | 招生录取


def pack_on(session: Session, school_id: int) -> bool:
    return bool(setting(session, school_id, "beijing_rules"))


def _profile(session: Session, school_id: int) -> SchoolAdmissionProfile:
    return session.get(SchoolAdmissionProfile, school_id) or SchoolAdmissionProfile(school_id=school_id)


def _non_local(session: Session, who: Candidate, entry: Entry) -> str | None:
    if entry.stage != Stage.SENIOR or who.student_id is None:
        return None
    province_code = session.get_one(OrgUnit, _province_id(session, entry.school_id)).division_code[:2]
    if who.hukou_code and who.hukou_code.startswith(province_code):
        return None
    return f"{who.name}为非本市户籍高中学生，{entry.business}严格限制"


def _model_school(session: Session, who: Candidate, entry: Entry) -> str | None:
    if entry.business != "转学" or who.from_school_id is None:
        return None
    if not _profile(session, entry.school_id).is_model_school:
        return None
    if _profile(session, who.from_school_id).is_model_school:
        return None
    return f"{who.name}由非示范校转入示范校，严格限制"


def _quota(session: Session, who: Candidate, entry: Entry) -> str | None:
    if entry.cohort_id is None:
        return None
    quota = quota_of(session, entry.cohort_id)
    if quota is None:
        return None
    held = records_in_grade(session, entry.cohort_id)
    if held < quota:
        return None
    cohort = session.get_one(Cohort, entry.cohort_id)
    return f"{cohort.name}学籍总量已满（总量{quota}，在校{held}），不能再{entry.business}"


def _foreign(session: Session, who: Candidate, entry: Entry) -> str | None:
    if who.nationality in (None, "", "中国"):
        return None
    profile = _profile(session, entry.school_id)
    if not profile.foreign_qualified:
        return f"{who.name}为外籍学生，接收学校没有接收外籍学生的资格"
    held = foreign_in_school(session, entry.school_id)
    if profile.foreign_plan is None or held >= profile.foreign_plan:
        return f"{who.name}为外籍学生，接收学校的外籍学生计划已满（计划{profile.foreign_plan or 0}，在校{held}）"
    return None


CHECKS = {"non_local_senior": _non_local, "model_school": _model_school, "quota": _quota, "foreign": _foreign}


def refusals(session: Session, who: Candidate, entry: Entry) -> dict[str, str]:
    """Rule → the Chinese reason, for every rule of the pack the entry breaks (none when the pack is off)."""
    if not pack_on(session, entry.school_id):
        return {}
    found = {rule: check(session, who, entry) for rule, check in CHECKS.items()}
    return {rule: message for rule, message in found.items() if message}


def _override(
    session: Session, rule: str, who: Candidate, school_id: int, case_id: int | None
) -> RegionalOverride | None:
    """An unused override for this student, school and rule, or the one this same case already used."""
    same_student = or_(
        RegionalOverride.student_id == who.student_id if who.student_id is not None else false(),
        has_national_id(who.national_student_id, RegionalOverride.national_id_index),
    )
    usable: ColumnElement[bool] = RegionalOverride.used_at.is_(None)
    if case_id is not None:
        usable = or_(usable, RegionalOverride.used_instance_id == case_id)
    return session.scalars(
        select(RegionalOverride)
        .where(RegionalOverride.rule == rule, RegionalOverride.to_school_id == school_id, same_student, usable)
        .order_by(RegionalOverride.id)
    ).first()


def enforce(
    session: Session,
    who: Candidate,
    entry: Entry,
    *,
    actor: User | None,
    now: datetime,
    case_id: int | None = None,
) -> list[int]:
    """Refuse (DomainError) unless every broken rule has an override; the overrides used are marked and audited.
    Returns their ids."""
    broken = refusals(session, who, entry)
    used: list[int] = []
    missing = []
    for rule, message in broken.items():
        override = _override(session, rule, who, entry.school_id, case_id)
        if override is None:
            missing.append(message)
            continue
        if override.used_at is None:
            override.used_at, override.used_instance_id = now, case_id
            audit.record(
                session,
                actor=actor,
                action="地区限制特批使用",
                entity="regional_override",
                entity_id=override.id,
                before={},
                after={"rule": RULES[rule], "business": entry.business, "refusal": message},
                instance_id=case_id,
            )
        used.append(override.id)
    if missing:
        raise DomainError("北京条件不符：" + "；".join(missing) + OVERRIDE_HINT)
    return used


def grant_override(
    session: Session,
    actor: User,
    *,
    rule: str,
    to_school_id: int,
    reason: str,
    student_id: int | None = None,
    national_student_id: str | None = None,
) -> RegionalOverride:
    """特批 by an authority above the receiving school (county, city or province officer), reason required."""
    if rule not in RULES:
        raise DomainError("请选择要特批的限制")
    reason = reason.strip()
    if not reason:
        raise DomainError("特批须填写理由")
    if len(reason) > 500:  # noqa: PLR2004 -- the column's length
        raise DomainError("特批理由不能超过500字")
    school = session.get(OrgUnit, to_school_id)
    if school is None or not is_superior_of(actor, school):
        raise DomainError("只有接收学校的学籍主管部门及其上级可以特批")
    number = (national_student_id or "").strip().upper() or None
    if student_id is None and number is None:
        raise DomainError("请填写学生的全国学籍号")
    row = RegionalOverride(
        rule=rule,
        student_id=student_id,
        national_student_id=number,
        to_school_id=to_school_id,
        reason=reason,
        granted_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="地区限制特批",
        entity="regional_override",
        entity_id=row.id,
        before={},
        after={"rule": RULES[rule], "school": school.name, "student": number or student_id, "reason": reason},
    )
    return row


def _province_id(session: Session, org_id: int) -> int:
    return session.get_one(OrgUnit, org_id).ancestor_ids()[1]


def school_by_code(session: Session, actor: User, school_code: str) -> School:
    """A school below the actor's organisation, by its 学校标识码; else a refusal that reveals nothing further."""
    school = session.scalars(select(School).where(School.school_code == school_code.strip())).first()
    if school is None or not is_superior_of(actor, school.org):
        raise DomainError(f"本辖区没有学校标识码为「{school_code.strip()}」的学校")
    return school


def set_quota(session: Session, actor: User, *, school_code: str, cohort_year: int, stage: Stage, quota: int) -> None:
    """学籍总量 of one grade, set by an authority above the school; audited."""
    school = school_by_code(session, actor, school_code)
    cohort = session.scalars(
        select(Cohort).where(
            Cohort.school_id == school.org_id, Cohort.stage == stage, Cohort.cohort_year == cohort_year
        )
    ).first()
    if cohort is None:
        raise DomainError(f"{school.name}没有{stage.label}{cohort_year}级")
    if not 0 <= quota <= 100000:  # noqa: PLR2004 -- a grade of a school, not a province
        raise DomainError("学籍总量须在0到100000之间")
    row = session.get(GradeQuota, cohort.id)
    before = {"学籍总量": row.quota} if row else {}
    if row is None:
        row = GradeQuota(cohort_id=cohort.id, quota=quota)
        session.add(row)
    row.quota, row.changed_by_id = quota, actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="学籍总量设置",
        entity="grade_quota",
        entity_id=cohort.id,
        before=before,
        after={"学校": school.name, "年级": cohort.name, "学籍总量": quota},
    )


def set_profile(
    session: Session,
    actor: User,
    *,
    school_code: str,
    is_model_school: bool,
    foreign_qualified: bool,
    foreign_plan: int | None,
) -> None:
    """示范校 and the foreign-student qualification and plan of a school; audited."""
    school = school_by_code(session, actor, school_code)
    if foreign_plan is not None and foreign_plan < 0:
        raise DomainError("外籍学生计划不能为负数")
    row = session.get(SchoolAdmissionProfile, school.org_id)
    if row is None:
        row = SchoolAdmissionProfile(school_id=school.org_id)
        session.add(row)
    before = {"示范校": row.is_model_school, "外籍资格": row.foreign_qualified, "外籍计划": row.foreign_plan}
    row.is_model_school, row.foreign_qualified, row.foreign_plan = is_model_school, foreign_qualified, foreign_plan
    row.changed_by_id = actor.id
    session.flush()
    after = {"示范校": is_model_school, "外籍资格": foreign_qualified, "外籍计划": foreign_plan}
    audit.record(
        session,
        actor=actor,
        action="学校接收条件设置",
        entity="school_admission_profile",
        entity_id=school.org_id,
        before=before,
        after={"学校": school.name, **after},
    )


def quotas_visible_to(session: Session, actor: User) -> list[tuple[str, str, int, int]]:
    """(school, grade, 学籍总量, in-school records) of the grades with a quota below the actor."""
    rows = session.execute(
        select(School, Cohort, GradeQuota.quota)
        .join(Cohort, Cohort.id == GradeQuota.cohort_id)
        .join(School, School.org_id == Cohort.school_id)
        .join(OrgUnit, OrgUnit.id == School.org_id)
        .where(OrgUnit.path.startswith(actor.org.path, autoescape=True))
        .order_by(School.school_code, Cohort.stage, Cohort.cohort_year)
    ).all()
    return [(school.name, cohort.name, quota, records_in_grade(session, cohort.id)) for school, cohort, quota in rows]


def overrides_visible_to(session: Session, actor: User) -> list[RegionalOverride]:
    return list(
        session.scalars(
            select(RegionalOverride)
            .join(OrgUnit, OrgUnit.id == RegionalOverride.to_school_id)
            .where(OrgUnit.path.startswith(actor.org.path, autoescape=True))
            .order_by(RegionalOverride.id.desc())
            .limit(100)
        )
    )
