"""招生结果导入 (F-40), 统一招生录取 (F-41), 录取新生核办 (F-44)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from handlers import admission_results as ar
from models.admission import Admission, AdmissionResult, AdmissionStatus
from models.audit import AuditEvent
from models.base import utcnow
from models.errors import DomainError
from models.org import School
from models.workflow import ProcessInstance
from webapp.admissions import admit_results

JUNIOR = "nanming-cz-registrar"
NANMING_GZ = "nanming-gz-registrar"
YUNYAN_GZ = "yunyan-gz-registrar"
COUNTY = "nanming-county"


def code(session, user, username: str) -> str:
    return session.get(School, user(username).org_id).school_code


def workbook(rows, header=ar.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(session, user, student, school=NANMING_GZ, stage="高中"):
    return (student.national_student_id, student.name, code(session, user, JUNIOR), code(session, user, school), stage)


def result_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AdmissionResult))


def test_five_columns_import_and_the_school_sees_only_its_results(session, user, graduates):
    data = workbook([row_of(session, user, graduates[0]), row_of(session, user, graduates[1], stage="3")])
    assert ar.import_results(session, user(COUNTY), data, now=utcnow()) == (2, 0)
    results = ar.results_for_school(session, user(NANMING_GZ).org_id)
    assert [r.student_id for r in results] == [g.id for g in graduates]
    assert ar.results_for_school(session, user("nanming-cz-registrar").org_id) == []


def test_header_个人标识码_is_accepted(session, user, graduates):
    header = ("个人标识码",) + ar.HEADERS[1:]
    assert ar.import_results(
        session, user(COUNTY), workbook([row_of(session, user, graduates[0])], header), now=utcnow()
    )


@pytest.mark.parametrize(
    "header",
    [ar.HEADERS[:4], ar.HEADERS + ("备注",), ("学籍号",) + ar.HEADERS[1:], ar.HEADERS[1:] + ar.HEADERS[:1]],
)
def test_a_wrong_header_rejects_the_file(session, user, graduates, header):
    with pytest.raises(ar.ImportRefused) as refused:
        ar.import_results(session, user(COUNTY), workbook([], header), now=utcnow())
    assert refused.value.errors[0].startswith("第1行：表头须恰为五列")
    assert result_count(session) == 0


def test_bad_rows_reject_the_whole_file_with_row_errors(session, user, graduates, student_of):
    good = row_of(session, user, graduates[0])
    in_school = student_of("nanming-cz-registrar")
    rows = [
        good,
        ("G000", "无名", good[2], good[3], "高中"),
        (graduates[1].national_student_id, "别人", good[2], good[3], "高中"),
        row_of(session, user, graduates[1], school=YUNYAN_GZ),
        (graduates[1].national_student_id, graduates[1].name, good[2], "9999999999", "高中"),
        (graduates[1].national_student_id, graduates[1].name, good[2], good[3], "大学"),
        (in_school.national_student_id, in_school.name, good[2], good[3], "高中"),
        good,
    ]
    with pytest.raises(ar.ImportRefused) as refused:
        ar.import_results(session, user(COUNTY), workbook(rows), now=utcnow())
    errors = refused.value.errors
    assert [e.split("：")[0] for e in errors] == ["第3行", "第4行", "第5行", "第6行", "第7行", "第8行", "第9行"]
    assert "学籍号G000不存在" in errors[0]
    assert "不匹配" in errors[1]
    assert "不属本区县管理" in errors[2]
    assert "录取学校标识码9999999999不存在" in errors[3]
    assert "教育阶段大学无效" in errors[4]
    assert "非毕业生" in errors[5]
    assert "与第2行重复" in errors[6]
    assert result_count(session) == 0


def test_not_a_workbook_is_refused(session, user):
    with pytest.raises(DomainError, match="不是有效的Excel"):
        ar.import_results(session, user(COUNTY), b"not a workbook", now=utcnow())


def test_unified_admission_then_county_review(session, user, graduates):
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, g) for g in graduates]), now=utcnow())
    result_ids = [r.id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)]
    with pytest.raises(DomainError, match="只能录取本校招生结果名单"):
        admit_results(session, user(YUNYAN_GZ), result_ids)
    assert admit_results(session, user(NANMING_GZ), result_ids) == (2, 0, [])
    assert ar.results_for_school(session, user(NANMING_GZ).org_id) == []
    pending = ar.pending_for_county(session, user(COUNTY).org_id)
    assert [a.student_id for a in pending] == [g.id for g in graduates]
    assert ar.pending_for_county(session, user("yunyan-county").org_id) == []
    with pytest.raises(DomainError, match="只能核办本区县"):
        ar.review(session, user("yunyan-county"), [pending[0].id], passed=True, now=utcnow())

    ar.review(session, user(COUNTY), [pending[0].id], passed=True, now=utcnow())
    ar.review(session, user(COUNTY), [pending[1].id], passed=False, now=utcnow())
    session.expire_all()
    assert [session.get(Admission, a.id).status for a in pending] == [
        AdmissionStatus.ADMITTED,
        AdmissionStatus.REJECTED,
    ]


def test_a_result_admitted_elsewhere_opens_a_duplicate_case(session, user, graduates):
    from webapp.admissions import admit_graduate

    yunyan = user(YUNYAN_GZ)
    admit_graduate(session, yunyan, student_id=graduates[0].id, school_id=yunyan.org_id, stage=ar.Stage.SENIOR)
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, graduates[0])]), now=utcnow())
    result_ids = [r.id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)]
    assert admit_results(session, user(NANMING_GZ), result_ids) == (1, 1, [])
    assert session.scalar(
        select(func.count()).select_from(ProcessInstance).where(ProcessInstance.process_key == "duplicate_admission")
    )


def test_pages_import_add_admit_and_review(session, user, graduates, login_as, client):
    login_as(COUNTY)
    assert client.get("/admissions/results/template").mimetype.endswith("spreadsheetml.sheet")
    bad = workbook([("G000", "无名", "1", "2", "高中")])
    page = client.post("/admissions/results/import", data={"file": (BytesIO(bad), "r.xlsx")}, follow_redirects=True)
    assert 'data-testid="import-errors"' in page.get_data(as_text=True)
    assert "第2行：学籍号G000不存在" in page.get_data(as_text=True)
    good = workbook([row_of(session, user, graduates[0])])
    assert client.post("/admissions/results/import", data={"file": (BytesIO(good), "r.xlsx")}).status_code == 302
    g = graduates[1]
    client.post(
        "/admissions/results/add",
        data={
            "number": g.national_student_id,
            "name": g.name,
            "school_code": code(session, user, NANMING_GZ),
            "stage": "高中",
        },
    )
    listing = client.get("/admissions/results").get_data(as_text=True)
    assert graduates[0].name in listing and g.name in listing and "南明高级中学" in listing

    login_as(NANMING_GZ)
    ids = [str(r.id) for r in ar.results_for_school(session, user(NANMING_GZ).org_id)]
    assert len(ids) == 2
    assert g.name in client.get("/admissions/unified").get_data(as_text=True)
    assert client.post("/admissions/unified", data={"result_id": ids}).status_code == 302
    assert client.get("/admissions/review").status_code == 403

    login_as(COUNTY)
    assert g.name in client.get("/admissions/review").get_data(as_text=True)
    session.expire_all()
    pending = [str(a.id) for a in ar.pending_for_county(session, user(COUNTY).org_id)]
    assert client.post("/admissions/review", data={"admission_id": pending, "decision": "通过"}).status_code == 302
    session.expire_all()
    assert ar.pending_for_county(session, user(COUNTY).org_id) == []
    statuses = session.scalars(select(Admission.status).where(Admission.student_id.in_([x.id for x in graduates])))
    assert list(statuses) == [AdmissionStatus.ADMITTED] * 2


def test_manual_add_is_checked_like_an_imported_row(session, user, graduates):
    g = graduates[0]
    with pytest.raises(DomainError, match="不属本区县管理"):
        ar.add_manually(
            session,
            user(COUNTY),
            number=g.national_student_id,
            name=g.name,
            school_code=code(session, user, YUNYAN_GZ),
            stage="高中",
            now=utcnow(),
        )
    ar.add_manually(
        session,
        user(COUNTY),
        number=g.national_student_id,
        name=g.name,
        school_code=code(session, user, NANMING_GZ),
        stage="高中",
        now=utcnow(),
    )
    assert [r.student_id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)] == [g.id]


def test_graduate_export_is_the_import_layout_and_reads_back(session, user, graduates, login_as):
    """导出招生excel (F-40): the county's graduates in the five columns; filled in, the same file imports."""
    from openpyxl import load_workbook

    client = login_as(COUNTY)
    page = client.get("/lifecycle/graduates").get_data(as_text=True)
    assert 'data-testid="admission-export"' in page
    response = client.get("/lifecycle/graduates/admission.xlsx")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == ar.HEADERS
    exported = {row[0]: row for row in rows[1:]}
    for pupil in graduates:
        assert exported[pupil.national_student_id][1:] == [pupil.name, code(session, user, JUNIOR), "", "高中"]
    for row in rows[1:]:
        row[3] = code(session, user, NANMING_GZ)
    assert ar.import_results(session, user(COUNTY), workbook(rows[1:]), now=utcnow()).added == len(rows) - 1
    assert login_as(JUNIOR).get("/lifecycle/graduates/admission.xlsx").status_code == 403


# -- one result per graduate, stage and year (a repeated import is refused, another school is a change) ---------


def senior_at_junior_school(session, user) -> str:
    """南明第一中学 becomes a 完全中学 (it also teaches senior): a second admitting school in the county."""
    school = session.get(School, user(JUNIOR).org_id)
    school.stages = "junior,senior"
    session.flush()
    return JUNIOR


def test_importing_the_same_file_twice_is_refused_row_by_row(session, user, graduates):
    data = workbook([row_of(session, user, g) for g in graduates])
    ar.import_results(session, user(COUNTY), data, now=utcnow())
    with pytest.raises(ar.ImportRefused) as refused:
        ar.import_results(session, user(COUNTY), data, now=utcnow())
    assert refused.value.errors == [
        f"第{n}行：该学生已有招生结果（录取学校南明高级中学，未录取），请勿重复导入" for n in (2, 3)
    ]
    assert result_count(session) == 2
    with pytest.raises(DomainError, match="请勿重复导入"):
        ar.add_manually(
            session,
            user(COUNTY),
            number=graduates[0].national_student_id,
            name=graduates[0].name,
            school_code=code(session, user, NANMING_GZ),
            stage="高中",
            now=utcnow(),
        )


def test_a_row_naming_another_school_changes_a_result_not_yet_admitted(session, user, graduates):
    other = senior_at_junior_school(session, user)
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, g) for g in graduates]), now=utcnow())
    changed = workbook([row_of(session, user, graduates[0], school=other), row_of(session, user, graduates[1])])
    with pytest.raises(ar.ImportRefused) as refused:  # the second row repeats: nothing of the file is taken
        ar.import_results(session, user(COUNTY), changed, now=utcnow())
    assert [e[:3] for e in refused.value.errors] == ["第3行"]
    assert [r.student_id for r in ar.results_for_school(session, user(other).org_id)] == []

    assert ar.import_results(
        session, user(COUNTY), workbook([row_of(session, user, graduates[0], school=other)]), now=utcnow()
    ) == (0, 1)
    assert result_count(session) == 2
    assert [r.student_id for r in ar.results_for_school(session, user(other).org_id)] == [graduates[0].id]
    assert [r.student_id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)] == [graduates[1].id]
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "招生结果变更")) == 1


def test_a_change_of_school_is_refused_while_an_admission_is_under_way(session, user, graduates):
    other = senior_at_junior_school(session, user)
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, g) for g in graduates]), now=utcnow())
    admit_results(session, user(NANMING_GZ), [r.id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)])
    pending = ar.pending_for_county(session, user(COUNTY).org_id)
    ar.review(session, user(COUNTY), [pending[1].id], passed=True, now=utcnow())
    rows = [row_of(session, user, g, school=other) for g in graduates]
    with pytest.raises(ar.ImportRefused) as refused:
        ar.import_results(session, user(COUNTY), workbook(rows), now=utcnow())
    assert refused.value.errors == [
        "第2行：该学生已由南明高级中学招生录取（待核办），不能改为其他录取学校，如需改录请先在录取新生核办中不通过该录取",
        # admitted: the student has moved to the senior school and is no graduate any more
        f"第3行：{graduates[1].name}的学籍状态是非毕业生",
    ]
    ar.review(session, user(COUNTY), [pending[0].id], passed=False, now=utcnow())
    assert ar.import_results(session, user(COUNTY), workbook(rows[:1]), now=utcnow()) == (0, 1)
    assert ar.results_for_school(session, user(NANMING_GZ).org_id) == []


def test_an_empty_admitting_school_code_says_so(session, user, graduates):
    row = row_of(session, user, graduates[0])
    with pytest.raises(ar.ImportRefused) as refused:
        ar.import_results(session, user(COUNTY), workbook([row[:3] + ("",) + row[4:]]), now=utcnow())
    assert refused.value.errors == ["第2行：未填写录取学校标识码"]


# -- the real state of each result; a failed admission comes back to the school ----------------------------------


def states(client) -> list[str]:
    page = client.get("/admissions/results").get_data(as_text=True)
    return re.findall(r'data-testid="result-state">([^<]*)<', page)


def test_the_county_sees_each_results_admission_state_and_a_failed_one_returns_to_the_school(
    session, user, graduates, login_as
):
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, g) for g in graduates]), now=utcnow())
    county = login_as(COUNTY)
    assert states(county) == ["未录取", "未录取"]
    admit_results(session, user(NANMING_GZ), [r.id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)])
    assert states(county) == ["待核办", "待核办"]
    pending = ar.pending_for_county(session, user(COUNTY).org_id)
    ar.review(session, user(COUNTY), [pending[0].id], passed=True, now=utcnow())
    ar.review(session, user(COUNTY), [pending[1].id], passed=False, now=utcnow())
    session.commit()
    assert states(county) == ["已录取", "不录取"]

    again = ar.results_for_school(session, user(NANMING_GZ).org_id)
    assert [r.student_id for r in again] == [graduates[1].id]
    school = login_as(NANMING_GZ).get("/admissions/unified").get_data(as_text=True)
    assert "录取核办不通过，可重新录取" in school
    assert admit_results(session, user(NANMING_GZ), [again[0].id]) == (1, 0, [])
    assert states(login_as(COUNTY)) == ["已录取", "待核办"]


def test_a_result_failed_after_another_school_won_does_not_return(session, user, graduates):
    """F-46: the arbitration's losing admission is 不录取 too, but the student is another school's now."""
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, graduates[0])]), now=utcnow())
    result = ar.results_for_school(session, user(NANMING_GZ).org_id)[0]
    admit_results(session, user(NANMING_GZ), [result.id])
    loser = session.get_one(Admission, result.admission_id)
    loser.status = AdmissionStatus.REJECTED
    winner = Admission(
        student_id=loser.student_id,
        school_id=user(YUNYAN_GZ).org_id,
        stage=loser.stage,
        status=AdmissionStatus.ADMITTED,
        created_by_id=user(YUNYAN_GZ).id,
        created_at=utcnow(),
    )
    session.add(winner)
    session.flush()
    assert ar.results_for_school(session, user(NANMING_GZ).org_id) == []


# -- pages: redirect after a refused import, what a county needs to read, 请勾选 -----------------------------------


def test_a_refused_import_redirects_to_a_page_that_shows_its_errors_again(session, user, graduates, login_as):
    client = login_as(COUNTY)
    bad = workbook([("G000", "无名", "1", "2", "高中")])
    response = client.post("/admissions/results/import", data={"file": (BytesIO(bad), "r.xlsx")})
    assert response.status_code == 302 and "/admissions/results/import/" in response.location
    first = client.get(response.location).get_data(as_text=True)
    assert "导入失败，共1行有误，未导入任何数据" in first and "第2行：学籍号G000不存在" in first
    refreshed = client.get(response.location).get_data(as_text=True)  # a refresh: nothing posted again
    assert "第2行：学籍号G000不存在" in refreshed and 'data-testid="import-errors"' in refreshed
    assert result_count(session) == 0
    assert login_as("yunyan-county").get(response.location).status_code == 302  # another's upload: not found


def test_the_county_pages_show_school_codes(session, user, graduates, login_as):
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, graduates[0])]), now=utcnow())
    client = login_as(COUNTY)
    senior = code(session, user, NANMING_GZ)
    results = client.get("/admissions/results").get_data(as_text=True)
    assert f"<td>{senior}</td>" in results and f"南明高级中学（{senior}）" in results
    plans = client.get("/admissions/plans").get_data(as_text=True)
    assert f'<option value="{senior}">南明高级中学（{senior}）</option>' in plans
    plan = {"school_code": senior, "year": "2027", "stage": "senior", "planned": "300"}
    assert client.post("/admissions/plans", data=plan).status_code == 302
    assert f"<td>{senior}</td>" in client.get("/admissions/plans").get_data(as_text=True)


def test_the_school_and_the_county_see_the_graduating_school_and_a_select_all(session, user, graduates, login_as):
    ar.import_results(session, user(COUNTY), workbook([row_of(session, user, graduates[0])]), now=utcnow())
    unified = login_as(NANMING_GZ).get("/admissions/unified").get_data(as_text=True)
    assert "<td>南明第一中学</td>" in unified and 'data-select-all="result_id"' in unified
    admit_results(session, user(NANMING_GZ), [r.id for r in ar.results_for_school(session, user(NANMING_GZ).org_id)])
    review = login_as(COUNTY).get("/admissions/review").get_data(as_text=True)
    assert "<td>南明第一中学</td>" in review and 'data-select-all="admission_id"' in review


@pytest.mark.parametrize(
    ("who", "url", "message"),
    [
        (NANMING_GZ, "/admissions/unified", "请勾选要录取的学生"),
        (COUNTY, "/admissions/review", "请勾选要核办的学生"),
        (COUNTY, "/admissions/origin", "请勾选要核办的学生"),
        (NANMING_GZ, "/admissions/pull", "请勾选要调档的学生"),
    ],
)
def test_nothing_ticked_asks_to_tick(login_as, who, url, message):
    page = login_as(who).post(url, data={"decision": "通过"}, follow_redirects=True).get_data(as_text=True)
    assert message in page


def test_the_graduate_export_columns_are_wide_enough_for_the_national_number(session, user, graduates, login_as):
    from openpyxl import load_workbook

    response = login_as(COUNTY).get("/lifecycle/graduates/admission.xlsx")
    sheet = load_workbook(BytesIO(response.data)).active
    number = graduates[0].national_student_id
    assert len(number) == 19
    assert sheet.column_dimensions["A"].width >= len(number) + 1
    assert sheet.column_dimensions["B"].width >= 2 * len("学生姓名")
