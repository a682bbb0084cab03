"""学期学年设置 (F-03, §3.5): an authority creates the term for its area, each school creates or confirms the same
term, and each organisation marks one term current.

Every change is made for the acting user's own organisation: nobody creates or edits another unit's terms. A
school confirms a term of one of its ancestors (its county, usually) by copying it into its own calendar.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import audit
from models.calendar import AUTUMN, SEASONS, AcademicYear, Term, TermDates, current_term, terms_of
from models.errors import DomainError, NotFound
from models.org import OrgUnit
from models.user import User

YEAR_NAME = re.compile(r"(\d{4})-(\d{4})")
FIRST_YEAR, LAST_YEAR = 2000, 2099


def plausible_windows(season: str, start_year: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """(first, last) start date and (first, last) end date of a term. §3.5 defaults: autumn runs September to
    December, spring March to June; admission opens in August and winter holidays may end autumn in February."""
    y = start_year
    if season == AUTUMN:
        return (date(y, 8, 1), date(y, 9, 30)), (date(y, 12, 1), date(y + 1, 3, 1) - timedelta(days=1))
    return (date(y + 1, 2, 1), date(y + 1, 3, 31)), (date(y + 1, 6, 1), date(y + 1, 7, 31))


def start_year_of(name: str) -> int:
    """ "2026-2027" → 2026; refused unless the two years follow each other."""
    match = YEAR_NAME.fullmatch(name.strip())
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise DomainError("学年格式应为“2026-2027”：起止年份相连，中间用“-”连接")
    start = int(match[1])
    if not FIRST_YEAR <= start <= LAST_YEAR:
        raise DomainError(f"学年应在{FIRST_YEAR}至{LAST_YEAR}年之间")
    return start


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def check_dates(start_year: int, season: str, dates: TermDates) -> None:
    """End after start, and both dates where a term of that season plausibly starts and ends."""
    if season not in SEASONS:
        raise DomainError("学期只能是秋季学期或春季学期")
    if dates.end_date <= dates.start_date:
        raise DomainError("结束日期必须晚于开始日期")
    for day, (first, last), verb in zip(
        (dates.start_date, dates.end_date), plausible_windows(season, start_year), ("开始", "结束"), strict=True
    ):
        if not first <= day <= last:
            raise DomainError(f"{start_year}-{start_year + 1}学年{season}应在{_cn(first)}至{_cn(last)}之间{verb}")


def _check_no_overlap(year: AcademicYear, season: str, dates: TermDates, term_id: int | None = None) -> None:
    for other in year.terms:
        if other.id == term_id or other.season == season:
            continue
        autumn, spring = (dates, other) if season == AUTUMN else (other, dates)
        if autumn.end_date >= spring.start_date:
            raise DomainError(f"{year.name}学年的秋季学期须在春季学期开始前结束")


def _year_of(session: Session, org_id: int, name: str, start_year: int) -> AcademicYear:
    year = session.scalars(
        select(AcademicYear).where(AcademicYear.org_id == org_id, AcademicYear.name == name)
    ).one_or_none()
    if year is None:
        year = AcademicYear(org_id=org_id, name=name, start_year=start_year)
        session.add(year)
        session.flush()
    return year


def create_term(session: Session, actor: User, *, academic_year: str, season: str, dates: TermDates) -> Term:
    """新增: a term of the actor's organisation; refused when that organisation already has it."""
    start_year = start_year_of(academic_year)
    name = f"{start_year}-{start_year + 1}"
    check_dates(start_year, season, dates)
    year = _year_of(session, actor.org_id, name, start_year)
    if any(t.season == season for t in year.terms):
        raise DomainError(f"本单位已有{name}学年{season}，不能重复新增")
    _check_no_overlap(year, season, dates)
    term = Term(
        academic_year=year, org_id=actor.org_id, season=season, start_date=dates.start_date, end_date=dates.end_date
    )
    session.add(term)
    session.flush()
    _audit(session, actor, "新增学期", term, before={})
    return term


def update_dates(session: Session, actor: User, term: Term, dates: TermDates) -> None:
    """修改 the dates of one of the actor's organisation's terms."""
    _own(actor, term)
    check_dates(term.academic_year.start_year, term.season, dates)
    _check_no_overlap(term.academic_year, term.season, dates, term.id)
    before = _snapshot(term)
    term.start_date, term.end_date = dates.start_date, dates.end_date
    session.flush()
    _audit(session, actor, "修改学期", term, before=before)


def set_current(session: Session, actor: User, term: Term) -> None:
    """设为当前学期: the organisation's other current term, if any, stops being current first (the partial
    unique index holds one current term per organisation at every flush)."""
    _own(actor, term)
    if term.is_current:
        return
    previous = current_term(session, term.org_id)
    session.execute(
        update(Term).where(Term.org_id == term.org_id, Term.is_current).values(is_current=False),
        execution_options={"synchronize_session": "fetch"},
    )
    session.flush()
    term.is_current = True
    session.flush()
    _audit(session, actor, "设置当前学期", term, before={"当前学期": previous.name if previous else ""})


def confirmable(session: Session, org: OrgUnit) -> list[Term]:
    """Terms of the organisation's ancestors that it has not got yet, nearest ancestor first, one per term name."""
    own = {t.name for t in terms_of(session, org.id)}
    ancestors = org.ancestor_ids()[:-1]
    offered: dict[str, Term] = {}
    for term in sorted(
        terms_of(session, *ancestors), key=lambda t: -ancestors.index(t.org_id)
    ):  # stable: newest first per unit
        if term.name not in own:
            offered.setdefault(term.name, term)
    return list(offered.values())


def confirm(session: Session, actor: User, source: Term) -> Term:
    """确认: a school takes a term of its county (or another ancestor) as its own, with the same dates; when the
    ancestor's term is current, it becomes the school's current term too. A county may confirm its province's."""
    if source not in confirmable(session, actor.org):
        raise NotFound()
    dates = TermDates(source.start_date, source.end_date)
    term = create_term(session, actor, academic_year=source.academic_year.name, season=source.season, dates=dates)
    if source.is_current:
        set_current(session, actor, term)
    return term


def _own(actor: User, term: Term) -> None:
    if term.org_id != actor.org_id:
        raise NotFound()


def _snapshot(term: Term) -> dict[str, str]:
    return {"学期": term.name, "开始日期": term.start_date.isoformat(), "结束日期": term.end_date.isoformat()}


def _audit(session: Session, actor: User, action: str, term: Term, *, before: dict[str, str]) -> None:
    audit.record(
        session, actor=actor, action=action, entity="term", entity_id=term.id, before=before, after=_snapshot(term)
    )
