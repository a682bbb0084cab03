"""学校管理 before a new year (F-03 学期学年设置, F-04 年级/班级信息管理), 班额配置 (F-52) and the admission
prerequisites they feed (G: the new term and the new cohort's grade-1 classes exist)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

import engine as wf
from handlers import class_assignment as ca
from handlers import terms
from models.audit import AuditEvent
from models.calendar import AUTUMN, SPRING, Term, TermDates, current_term, terms_of
from models.class_size import ClassSizeLimit, class_size
from models.errors import DomainError
from models.org import Cohort, OrgUnit, School, SchoolClass, Stage
from models.school_year import admission_year
from models.student import Student
from webapp.admissions import self_admit

COUNTY = "nanming-county"
SCHOOL = "nanming-xx-registrar"
OTHER_SCHOOL = "yunyan-xx-registrar"
PROVINCE = "guizhou-province"


@pytest.fixture
def next_year(session, user) -> int:
    """The academic year after the demo's current one: no unit has terms for it yet."""
    return admission_year(session, user(SCHOOL).org_id) + 1


def term_form(year: int, season: str = AUTUMN, start: date | None = None, end: date | None = None) -> dict:
    start = start or date(year, 9, 1)
    end = end or date(year + 1, 1, 20)
    return {"academic_year": f"{year}-{year + 1}", "season": season, "start_date": str(start), "end_date": str(end)}


def own_term(session, org_id: int, name: str) -> Term:
    return next(t for t in terms_of(session, org_id) if t.name == name)


def current_terms(session, org_id: int) -> list[str]:
    return [t.name for t in terms_of(session, org_id) if t.is_current]


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        (SCHOOL, "/school/terms/", 200),
        (COUNTY, "/school/terms/", 200),
        (PROVINCE, "/school/terms/", 200),
        ("nanming-xx-reviewer", "/school/terms/", 403),
        ("nanming-xx-teacher", "/school/classes", 403),
        (COUNTY, "/school/cohorts", 403),
        (SCHOOL, "/settings/class-sizes/", 403),
        ("guiyang-city", "/settings/class-sizes/", 200),
    ],
)
def test_who_may_open_the_school_setup_pages(login_as, username, url, status):
    assert login_as(username).get(url).status_code == status


def test_the_pages_need_a_login(client):
    for url in ("/school/terms/", "/school/cohorts", "/school/classes", "/settings/class-sizes/"):
        assert client.get(url).location.startswith("/login"), url


# -- 学期学年设置 (F-03) ----------------------------------------------------------------------------------------


def test_a_county_creates_the_new_term_and_sets_it_current_one_current_term_stays(
    session, user, login_as, client, next_year
):
    county_id = user(COUNTY).org_id
    login_as(COUNTY)
    assert 'data-testid="new-term"' in client.get("/school/terms/").get_data(as_text=True)
    assert client.post("/school/terms/", data=term_form(next_year)).status_code == 302
    new = own_term(session, county_id, f"{next_year}-{next_year + 1}学年{AUTUMN}")
    assert (new.start_date, new.end_date, new.is_current) == (date(next_year, 9, 1), date(next_year + 1, 1, 20), False)

    assert client.post(f"/school/terms/{new.id}/current").status_code == 302
    session.expire_all()
    assert current_terms(session, county_id) == [new.name]
    assert current_term(session, user(SCHOOL).org_id).academic_year.start_year == next_year - 1  # schools untouched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"academic_year": "2027-2029"}, "学年格式应为“2026-2027”"),
        ({"academic_year": "二〇二七"}, "学年格式应为"),
        ({"start_date": "2027-13-01"}, "不是有效的日期值"),
        ({"end_date": "2027-08-20"}, "结束日期必须晚于开始日期"),
        ({"start_date": "2027-06-01"}, "秋季学期应在2027年8月1日至2027年9月30日之间开始"),
        ({"end_date": "2028-05-01"}, "秋季学期应在2027年12月1日至2028年2月29日之间结束"),
        ({"season": SPRING}, "春季学期应在2028年2月1日至2028年3月31日之间开始"),
        ({"season": "夏季学期"}, "不是有效的选择"),
    ],
)
def test_term_input_is_refused_in_chinese_and_nothing_is_written(session, user, login_as, client, change, message):
    county_id = user(COUNTY).org_id
    before = len(terms_of(session, county_id))
    login_as(COUNTY)
    page = client.post("/school/terms/", data={**term_form(2027), **change})
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert len(terms_of(session, county_id)) == before


def test_duplicate_and_overlapping_terms_are_refused(session, user, login_as, client, next_year):
    login_as(COUNTY)
    current = current_term(session, user(COUNTY).org_id)
    duplicate = client.post("/school/terms/", data=term_form(current.academic_year.start_year))
    assert "不能重复新增" in duplicate.get_data(as_text=True)
    client.post("/school/terms/", data=term_form(next_year, end=date(next_year + 1, 2, 20)))
    spring = term_form(next_year, SPRING, start=date(next_year + 1, 2, 15), end=date(next_year + 1, 7, 1))
    overlapping = client.post("/school/terms/", data=spring)
    assert overlapping.status_code == 422
    assert "秋季学期须在春季学期开始前结束" in overlapping.get_data(as_text=True)


def test_a_school_confirms_the_county_term_with_one_click(session, user, login_as, client, next_year):
    school_id = user(SCHOOL).org_id
    login_as(COUNTY)
    client.post("/school/terms/", data=term_form(next_year, end=date(next_year + 1, 1, 25)))
    county_term = own_term(session, user(COUNTY).org_id, f"{next_year}-{next_year + 1}学年{AUTUMN}")
    client.post(f"/school/terms/{county_term.id}/current")

    login_as(SCHOOL)
    page = client.get("/school/terms/").get_data(as_text=True)
    assert county_term.name in page and 'data-testid="confirm-term"' in page
    assert client.post(f"/school/terms/confirm/{county_term.id}").status_code == 302
    session.expire_all()
    school_term = own_term(session, school_id, county_term.name)
    assert (school_term.start_date, school_term.end_date) == (date(next_year, 9, 1), date(next_year + 1, 1, 25))
    assert current_terms(session, school_id) == [county_term.name]  # the county's is current, so the school's is
    assert client.post(f"/school/terms/confirm/{county_term.id}").status_code == 404  # no longer offered


def test_terms_stay_within_the_own_organisation(session, user, login_as, client, next_year):
    nanming_term = current_term(session, user(COUNTY).org_id)
    login_as("yunyan-county")
    assert client.post(f"/school/terms/{nanming_term.id}/current").status_code == 404
    assert client.get(f"/school/terms/{nanming_term.id}/edit").status_code == 404
    # The page creates for the user's own organisation; a posted org id is not a field and changes nothing.
    client.post("/school/terms/", data={**term_form(next_year), "org_id": str(user(COUNTY).org_id)})
    name = f"{next_year}-{next_year + 1}学年{AUTUMN}"
    assert [t.name for t in terms_of(session, user("yunyan-county").org_id) if t.name == name] == [name]
    assert all(t.name != name for t in terms_of(session, user(COUNTY).org_id))

    login_as(SCHOOL)  # a school confirms only its own ancestors' terms
    yunyan_term = own_term(session, user("yunyan-county").org_id, name)
    assert client.post(f"/school/terms/confirm/{yunyan_term.id}").status_code == 404
    assert client.get("/settings/class-sizes/").status_code == 403


def test_term_dates_are_edited_with_the_same_checks(session, user, login_as, client):
    term = current_term(session, user(SCHOOL).org_id)
    year = term.academic_year.start_year
    login_as(SCHOOL)
    bad = client.post(
        f"/school/terms/{term.id}/edit", data={"start_date": f"{year}-09-01", "end_date": f"{year}-08-01"}
    )
    assert bad.status_code == 422 and "结束日期必须晚于开始日期" in bad.get_data(as_text=True)
    ok = client.post(
        f"/school/terms/{term.id}/edit", data={"start_date": f"{year}-08-31", "end_date": f"{year + 1}-01-15"}
    )
    assert ok.status_code == 302
    session.refresh(term)
    assert (term.start_date, term.end_date) == (date(year, 8, 31), date(year + 1, 1, 15))


# -- 年级信息管理 / 班级信息管理 (F-04) ---------------------------------------------------------------------------


def classes_of(session, cohort: Cohort) -> list[SchoolClass]:
    return list(session.scalars(select(SchoolClass).where(SchoolClass.cohort_id == cohort.id)))


def newest_cohort(session, school_id: int) -> Cohort:
    return session.scalars(
        select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year.desc())
    ).first()


def test_registrar_adds_a_cohort_and_its_classes_through_the_pages(session, user, login_as, client, next_year):
    school_id = user(SCHOOL).org_id
    login_as(SCHOOL)
    assert client.post("/school/cohorts", data={"stage": "primary", "cohort_year": str(next_year)}).status_code == 302
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id, Cohort.cohort_year == next_year)).one()
    assert cohort.name == f"小学{next_year}级"
    refused = client.post(
        "/school/cohorts", data={"stage": "junior", "cohort_year": str(next_year)}, follow_redirects=True
    )
    assert "本校没有初中学段，不能建立初中年级" in refused.get_data(as_text=True)
    assert "不能重复建立" in client.post(
        "/school/cohorts", data={"stage": "primary", "cohort_year": str(next_year)}, follow_redirects=True
    ).get_data(as_text=True)

    form = {
        "cohort_id": str(cohort.id),
        "class_no": "101",
        "name": "一年级(1)班",
        "class_type": "普通班",
        "homeroom_teacher_id": str(user("nanming-xx-teacher").id),
        "capacity": "40",
    }
    assert client.post("/school/classes/new", data=form).status_code == 302
    made = classes_of(session, cohort)
    assert [(k.class_no, k.class_type, k.homeroom_teacher_id, k.capacity) for k in made] == [
        ("101", "普通班", user("nanming-xx-teacher").id, 40)
    ]
    again = client.post("/school/classes/new", data={**form, "name": "另一个班"}, follow_redirects=True)
    assert f"小学{next_year}级已有班号为101的班级" in again.get_data(as_text=True)
    too_big = client.post(
        "/school/classes/new", data={**form, "class_no": "102", "capacity": "46"}, follow_redirects=True
    )
    assert "班额须在1至45人之间（小学班额上限，系统默认设置）" in too_big.get_data(as_text=True)
    stranger = client.post(
        "/school/classes/new",
        data={**form, "class_no": "103", "homeroom_teacher_id": str(user("yunyan-xx-teacher").id)},
    )
    assert stranger.status_code == 422  # another school's teacher is not a choice
    assert len(classes_of(session, cohort)) == 1

    edit = {**form, "name": "一年级(1)班（民族班）", "class_type": "民族班", "capacity": ""}
    assert client.post(f"/school/classes/{made[0].id}/edit", data=edit).status_code == 302
    session.refresh(made[0])
    assert (made[0].name, made[0].class_type, made[0].capacity) == ("一年级(1)班（民族班）", "民族班", None)
    classes_page = client.get("/school/classes").get_data(as_text=True)
    assert "一年级(1)班（民族班）" in classes_page and "0 / 45" in classes_page


def test_a_class_is_deleted_only_when_empty_and_a_cohort_only_without_classes(session, user, login_as, client):
    cohort = newest_cohort(session, user(SCHOOL).org_id)
    full = classes_of(session, cohort)[0]
    students = session.scalar(select(func.count(Student.id)).where(Student.class_id == full.id))
    login_as(SCHOOL)
    page = client.post(f"/school/classes/{full.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert f"{full.name}还有{students}名学生（含已毕业、转出等学籍），不能删除" in page
    assert session.get(SchoolClass, full.id) is not None
    page = client.post(f"/school/cohorts/{cohort.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert f"{cohort.name}还有2个班级，请先删除或合并班级" in page

    empty = SchoolClass(cohort_id=cohort.id, class_no="109", name="临时班")
    session.add(empty)
    session.commit()
    empty_id = empty.id
    assert client.post(f"/school/classes/{empty_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(SchoolClass, empty_id) is None
    deleted = session.scalars(select(AuditEvent).where(AuditEvent.action == "删除班级")).one()
    assert deleted.before["班级名称"] == "临时班"


def test_merging_classes_respects_the_target_capacity_and_is_audited(session, user, login_as, client):
    cohort = newest_cohort(session, user(SCHOOL).org_id)
    source, target = classes_of(session, cohort)
    moving = [s.id for s in session.scalars(select(Student).where(Student.class_id == source.id))]
    staying = session.scalar(select(func.count(Student.id)).where(Student.class_id == target.id))
    target.capacity = staying + len(moving) - 1
    session.commit()
    login_as(SCHOOL)
    page = client.post(
        f"/school/classes/{source.id}/merge", data={"target_class_id": str(target.id)}, follow_redirects=True
    )
    assert f"超过班额{target.capacity}人，不能合并" in page.get_data(as_text=True)
    assert session.get(SchoolClass, source.id) is not None

    target.capacity = None
    session.commit()
    assert (
        client.post(f"/school/classes/{source.id}/merge", data={"target_class_id": str(target.id)}).status_code == 302
    )
    source_id, target_id = source.id, target.id
    session.expire_all()
    assert session.get(SchoolClass, source_id) is None
    assert {session.get(Student, i).class_id for i in moving} == {target_id}
    merged = session.scalars(select(AuditEvent).where(AuditEvent.action == "班级合并")).all()
    assert sorted(e.entity_id for e in merged) == sorted(moving)
    assert {(e.before["class_id"], e.after["class_id"]) for e in merged} == {(source_id, target_id)}


def test_a_school_cannot_touch_another_schools_cohorts_and_classes(session, user, login_as, client):
    cohort = newest_cohort(session, user(SCHOOL).org_id)
    school_class = classes_of(session, cohort)[0]
    login_as(OTHER_SCHOOL)
    own = classes_of(session, newest_cohort(session, user(OTHER_SCHOOL).org_id))[0]
    for url in (
        f"/school/classes/{school_class.id}/edit",
        f"/school/cohorts/{cohort.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/school/classes/{school_class.id}/delete",
        f"/school/cohorts/{cohort.id}/delete",
        f"/school/classes/{own.id}/merge",  # into another school's class
    ):
        assert client.post(url, data={"target_class_id": str(school_class.id)}).status_code == 404, url
    form = {"cohort_id": str(cohort.id), "class_no": "199", "name": "外校班", "class_type": "普通班"}
    assert client.post("/school/classes/new", data=form).status_code == 422
    assert session.scalars(select(SchoolClass).where(SchoolClass.class_no == "199")).all() == []
    login_as(COUNTY)
    assert client.get("/school/classes").status_code == 403


# -- 班额配置 (F-52) -----------------------------------------------------------------------------------------------


@pytest.fixture
def waiting_juniors(session, user):
    """All pupils of 南明区第一中学 待分班, and the two classes of its newest (grade-1) cohort to place them in."""
    school_id = user("nanming-cz-registrar").org_id
    students = list(session.scalars(select(Student).where(Student.school_id == school_id)))
    for s in students:
        s.class_id = None
    session.flush()
    return school_id, students, [k.id for k in classes_of(session, newest_cohort(session, school_id))]


def test_the_province_class_size_is_what_automatic_assignment_fills_up_to(
    session, user, login_as, client, waiting_juniors
):
    school_id, students, class_ids = waiting_juniors
    assert class_size(session, school_id, Stage.JUNIOR).limit == 50  # the Rec. default before any setting
    login_as(PROVINCE)
    assert client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "2"}).status_code == 302
    assert class_size(session, school_id, Stage.JUNIOR).limit == 2

    plan = ca.assign_automatic(session, user("nanming-cz-registrar"), school_id, [s.id for s in students], class_ids)
    assert len(plan.assignments) == 2 * len(class_ids)
    assert len(plan.unassigned) == len(students) - 2 * len(class_ids) > 0
    assert sorted(slot.total for slot in plan.slots) == [2] * len(class_ids)


def test_counties_and_schools_may_tighten_but_not_loosen_the_province_setting(session, user, login_as, client):
    cz = session.get_one(School, user("nanming-cz-registrar").org_id)
    login_as(PROVINCE)
    client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "48", "warn_at": "45"})
    login_as(COUNTY)
    looser = client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "55"})
    assert looser.status_code == 422 and "初中班额不能超过贵州省设置的48人" in looser.get_data(as_text=True)
    assert client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "46"}).status_code == 302
    one_school = {"stage": "junior", "max_students": "40", "warn_at": "38", "school_code": cz.school_code}
    assert client.post("/settings/class-sizes/", data=one_school).status_code == 302
    size = class_size(session, cz.org_id, Stage.JUNIOR)
    assert (size.limit, size.warn_at, size.source) == (40, 38, cz.name)
    yunyan_cz = user("yunyan-cz-registrar").org_id
    assert class_size(session, yunyan_cz, Stage.JUNIOR).limit == 48  # another county: the province's setting
    other_school = session.get_one(School, yunyan_cz).school_code
    page = client.post("/settings/class-sizes/", data={**one_school, "school_code": other_school})
    assert page.status_code == 422 and f"学校标识码{other_school}不是本辖区的学校" in page.get_data(as_text=True)

    province_row = session.scalars(select(ClassSizeLimit).where(ClassSizeLimit.org_id == user(PROVINCE).org_id)).one()
    assert client.post(f"/settings/class-sizes/{province_row.id}/clear").status_code == 404  # set above the county
    school_row = session.scalars(select(ClassSizeLimit).where(ClassSizeLimit.org_id == cz.org_id)).one()
    assert client.post(f"/settings/class-sizes/{school_row.id}/clear").status_code == 302
    assert class_size(session, cz.org_id, Stage.JUNIOR).limit == 46  # the county's again


def test_a_province_tightening_later_binds_the_looser_county_setting_made_before(session, user, login_as, client):
    cz = user("nanming-cz-registrar").org_id
    login_as(COUNTY)
    assert client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "45"}).status_code == 302
    login_as(PROVINCE)
    assert client.post("/settings/class-sizes/", data={"stage": "junior", "max_students": "40"}).status_code == 302
    size = class_size(session, cz, Stage.JUNIOR)
    assert (size.limit, size.source) == (40, "贵州省")


def test_a_transfer_into_a_class_full_by_the_configured_size_is_refused(session, user, student_of, clock):
    receiving = user(SCHOOL)
    to_class = classes_of(session, newest_cohort(session, receiving.org_id))[0]
    in_class = session.scalar(select(func.count(Student.id)).where(Student.class_id == to_class.id))
    province = session.get_one(OrgUnit, receiving.org.ancestor_ids()[1])
    session.add(ClassSizeLimit(org_id=province.id, stage=Stage.PRIMARY, max_students=in_class))
    session.flush()
    with pytest.raises(DomainError, match=rf"已达班额上限（{in_class}人）"):
        wf.start(
            session,
            "transfer_in_province",
            student_id=student_of(OTHER_SCHOOL).id,
            actor=receiving,
            data={"to_class_id": to_class.id, "cause": "其他原因", "reason": "测试"},
            to_school_id=receiving.org_id,
        )


# -- admission prerequisites (G) ----------------------------------------------------------------------------------


@pytest.fixture
def graduate(session, user):
    """A junior graduate of 南明区第一中学 for 南明区高级中学 to admit."""
    from handlers import graduation

    registrar = user("nanming-cz-registrar")
    oldest = session.scalars(
        select(Cohort).where(Cohort.school_id == registrar.org_id).order_by(Cohort.cohort_year)
    ).first()
    pupils = graduation.class_students(session, oldest.classes[0].id)
    graduation.graduate(session, registrar, pupils, on=date(2027, 7, 1))
    session.commit()
    return pupils[0]


def test_admission_needs_the_schools_current_term_and_new_grade_one_classes(session, user, graduate, login_as, client):
    senior = user("nanming-gz-registrar")
    year = admission_year(session, senior.org_id)
    admit = {"number": graduate.national_student_id, "name": graduate.name, "stage": Stage.SENIOR}
    current_term(session, senior.org_id).is_current = False
    session.commit()  # a refused admission rolls back to here
    with pytest.raises(DomainError, match=f"本校尚未设置当前学期.*{year}-{year + 1}学年秋季学期"):
        self_admit(session, senior, **admit)

    last_year = terms.create_term(
        session,
        senior,
        academic_year=f"{year - 1}-{year}",
        season=SPRING,
        dates=TermDates(date(year, 3, 1), date(year, 7, 10)),
    )
    terms.set_current(session, senior, last_year)
    session.commit()
    with pytest.raises(DomainError, match=f"本校当前学期为{year - 1}-{year}学年春季学期：请先"):
        self_admit(session, senior, **admit)

    spring = next(t for t in terms_of(session, senior.org_id) if t.name == f"{year}-{year + 1}学年{SPRING}")
    terms.set_current(session, senior, spring)  # the admission year's spring term: enough
    grade_one = newest_cohort(session, senior.org_id)
    grade_one.cohort_year = year - 3  # arranged: the school has no 高中{year}级 any more
    session.commit()
    with pytest.raises(DomainError, match=f"本校尚未建立高中{year}级一年级的班级"):
        self_admit(session, senior, **admit)
    login_as("nanming-gz-registrar")
    page = client.get("/admissions/classes").get_data(as_text=True)
    assert f"本校尚未建立高中{year}级一年级的班级" in page  # 学生分班 says it too

    grade_one.cohort_year = year
    session.commit()
    admission, _ = self_admit(session, senior, **admit)
    assert admission.school_id == senior.org_id


def _two_results_of_a_school_without_current_term(session, user, graduate) -> list[int]:
    """Results naming 南明区高级中学 for the graduate and a classmate, the school's current term unset."""
    from handlers import admission_results as ar
    from models.base import utcnow

    senior = user("nanming-gz-registrar")
    school = session.get_one(School, senior.org_id)
    junior_class = session.get_one(SchoolClass, graduate.class_id)
    classmate = next(
        s for s in session.scalars(select(Student).where(Student.class_id == junior_class.id)) if s != graduate
    )
    for pupil in (graduate, classmate):
        ar.add_manually(
            session,
            user(COUNTY),
            number=pupil.national_student_id,
            name=pupil.name,
            school_code=school.school_code,
            stage="高中",
            now=utcnow(),
        )
    current_term(session, senior.org_id).is_current = False
    session.commit()
    return [r.id for r in ar.results_for_school(session, senior.org_id)]


def test_unified_admission_says_once_what_the_school_still_lacks(session, user, graduate, login_as, client):
    from handlers import admission_results as ar

    senior = user("nanming-gz-registrar")
    ids = [str(i) for i in _two_results_of_a_school_without_current_term(session, user, graduate)]
    login_as("nanming-gz-registrar")
    page = client.post("/admissions/unified", data={"result_id": ids}, follow_redirects=True).get_data(as_text=True)
    assert page.count("本校尚未设置当前学期") == 1
    assert len(ar.results_for_school(session, senior.org_id)) == 2  # nobody admitted


def test_two_people_adding_the_same_term_at_once_get_a_conflict_page_not_an_error(login_as, client, monkeypatch):
    """The second of two simultaneous saves passes the Python checks and meets the unique constraint."""
    from sqlalchemy.exc import IntegrityError

    from handlers import terms

    def lost_the_race(*args, **kwargs):
        raise IntegrityError("INSERT INTO term …", {}, Exception("duplicate key value violates unique constraint"))

    monkeypatch.setattr(terms, "create_term", lost_the_race)
    login_as(COUNTY)
    page = client.post(
        "/school/terms/",
        data={"academic_year": "2027-2028", "season": "秋季学期", "start_date": "2027-09-01", "end_date": "2028-01-20"},
    )
    assert page.status_code == 409 and "本次未保存任何内容" in page.get_data(as_text=True)


def test_unified_admission_checks_the_school_setup_once_per_stage(session, user, graduate):
    from webapp.admissions import admit_results

    ids = _two_results_of_a_school_without_current_term(session, user, graduate)
    admitted, duplicates, refused = admit_results(session, user("nanming-gz-registrar"), ids)
    assert (admitted, duplicates) == (0, 0)
    assert len(refused) == 1 and refused[0].startswith("本校尚未设置当前学期")
