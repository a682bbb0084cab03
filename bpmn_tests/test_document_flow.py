"""公文流转 (F-60): red-header requests only in January, March, July and September and one per county per transfer
window; filings skip the commission's review (毕业年级京籍返京 only inside the windows); the five stages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.business_calendar import BusinessPeriod, PeriodKind
from models.document_flow import FILING_TYPES, RED_HEADER_TYPES, DocStatus, DocumentRequest, store_attachment
from models.errors import DomainError

DONGCHENG = "dongcheng-county"
XICHENG = "xicheng-county"
CITY = "beijing-province"
PDF = b"%PDF-1.4 test"
# Beijing's transfer windows (seed 002: before the vacations and in the first week of a term).
WINDOWS = (("01-05", "01-31", "寒假前"), ("03-01", "03-07", "春季开学第一周"), ("07-01", "07-20", "暑假前"))
WINDOWS += (("09-01", "09-07", "秋季开学第一周"),)


@pytest.fixture(autouse=True)
def beijing_windows(session, user):
    """The demo opens transfers all year; here Beijing has windows of its own (Q-41: the one-request rule counts
    per configured window)."""
    province_id = user(CITY).org_id
    for row in session.scalars(select(BusinessPeriod).where(BusinessPeriod.org_id == province_id)):
        session.delete(row)
    session.flush()
    for start, end, note in WINDOWS:
        session.add(
            BusinessPeriod(
                org_id=province_id, business="transfer", kind=PeriodKind.WINDOW, start_md=start, end_md=end, note=note
            )
        )
    session.commit()


def draft(flows, user, county=DONGCHENG, *, category="red_header", doc_type=RED_HEADER_TYPES[2], **extra):
    fields = {"category": category, "doc_type": doc_type, "student_name": f"{doc_type}的申请", "content": "说明"}
    return flows(
        "document_flow", student=None, by=user(county), to_school_id=user(county).org_id, **{**fields, **extra}
    )


def request_of(session, case) -> DocumentRequest:
    session.expire_all()
    return session.scalars(select(DocumentRequest).where(DocumentRequest.instance_id == case.case.id)).one()


def test_a_red_header_request_passes_the_five_stages_with_its_attachments(session, user, flows, clock):
    clock.set(2027, 3, 10)
    files = [store_attachment(session, user(DONGCHENG), name, PDF) for name in ("申请.pdf", "名单.pdf")]
    case = draft(flows, user, attachment_ids=",".join(str(f.id) for f in files))
    assert case.state == "草稿"
    assert case.seats() == [("submit", "东城区", "county_officer")]
    assert len(request_of(session, case).attachments) == 2
    case.submit("submit", by=user(DONGCHENG), comment="")
    assert case.state == "区县申报"
    assert case.seats() == [("city_review", "北京市", "province_officer")]
    case.submit("city_review", by=user(CITY), decision="通过")
    case.submit("consolidate", by=user(CITY), comment="")
    case.submit("process", by=user(CITY), comment="已受理")
    assert case.state == "服务团队处理"
    case.submit("close", by=user(CITY), result="已扩充东城区学籍总量50个")
    assert case.states() == ["草稿", "区县申报", "市教委审核通过", "市信息中心汇总", "服务团队处理", "结果反馈"]
    row = request_of(session, case)
    assert (row.status, row.result) == (DocStatus.CLOSED, "已扩充东城区学籍总量50个")


@pytest.mark.parametrize(
    ("doc_type", "allowed", "refused"),
    [(t, (1, 3, 7, 9)[n % 4], (2, 4, 5, 6, 8, 10, 11, 12)[n]) for n, t in enumerate(RED_HEADER_TYPES)],
)
def test_each_red_header_type_only_in_its_months(session, user, flows, clock, doc_type, allowed, refused):
    clock.set(2027, refused, 10)
    with pytest.raises(DomainError, match="红头文件申请只能在1月、3月、7月、9月提交"):
        draft(flows, user, doc_type=doc_type)
    clock.set(2027, allowed, 10)
    case = draft(flows, user, doc_type=doc_type)
    case.submit("submit", by=user(DONGCHENG), comment="")
    assert request_of(session, case).status == DocStatus.SUBMITTED


@pytest.mark.parametrize("month", [1, 3, 7, 9])
def test_one_red_header_request_per_county_per_window(session, user, flows, clock, month):
    clock.set(2027, month, 5)
    first, second = draft(flows, user), draft(flows, user, doc_type=RED_HEADER_TYPES[0])
    first.submit("submit", by=user(DONGCHENG), comment="")
    with pytest.raises(DomainError, match="每个时间窗口只能提交一份"):
        second.submit("submit", by=user(DONGCHENG), comment="")
    assert second.state == "草稿"
    with pytest.raises(DomainError, match="每个时间窗口只能提交一份"):
        draft(flows, user, doc_type=RED_HEADER_TYPES[7])
    other = draft(flows, user, XICHENG)  # another county has its own place
    other.submit("submit", by=user(XICHENG), comment="")
    first.submit("city_review", by=user(CITY), decision="不通过", comment="材料不全")
    assert first.state == "市教委审核不通过"
    second.submit("submit", by=user(DONGCHENG), comment="")  # a rejected request gives the place back
    assert second.state == "区县申报"


def test_the_next_window_is_a_new_place(session, user, flows, clock):
    clock.set(2027, 3, 5)
    draft(flows, user).submit("submit", by=user(DONGCHENG), comment="")
    clock.set(2027, 9, 5)
    case = draft(flows, user)
    case.submit("submit", by=user(DONGCHENG), comment="")
    assert request_of(session, case).window_key == "2027-09-01"


def test_in_a_red_header_month_outside_the_windows_the_month_is_the_window(session, user, flows, clock):
    clock.set(2027, 3, 20)
    case = draft(flows, user)
    case.submit("submit", by=user(DONGCHENG), comment="")
    assert request_of(session, case).window_key == "2027-03"
    with pytest.raises(DomainError, match="本区县在本时间窗口（2027年3月）已提交红头文件申请"):
        draft(flows, user)


@pytest.mark.parametrize("doc_type", FILING_TYPES)
def test_filings_skip_the_review_and_only_returning_graduates_wait_for_a_window(session, user, flows, clock, doc_type):
    clock.set(2027, 2, 10)  # no red-header month, no transfer window
    if doc_type == "毕业年级京籍返京":
        with pytest.raises(DomainError, match="只能在转学时间窗口内备案"):
            draft(flows, user, category="filing", doc_type=doc_type)
        clock.set(2027, 9, 3)
    case = draft(flows, user, category="filing", doc_type=doc_type)
    case.submit("submit", by=user(DONGCHENG), comment="")
    assert case.seats() == [("consolidate", "北京市", "province_officer")]
    second = draft(flows, user, category="filing", doc_type=doc_type)  # filings are not limited per window
    second.submit("submit", by=user(DONGCHENG), comment="")
    assert request_of(session, second).status == DocStatus.SUBMITTED


def test_a_type_of_the_other_category_is_refused_by_the_form(session, user, flows, clock):
    from werkzeug.datastructures import MultiDict

    from forms.document_flow import RequestForm

    form = RequestForm(formdata=MultiDict({"category": "filing", "doc_type": RED_HEADER_TYPES[0], "student_name": "x"}))
    assert not form.validate()
    assert "不是平台备案的事项类型" in form.errors["doc_type"][0]


def test_the_database_keeps_one_request_per_window_when_two_submissions_race(session, user, flows, clock, monkeypatch):
    clock.set(2027, 3, 5)
    first, second = draft(flows, user), draft(flows, user, doc_type=RED_HEADER_TYPES[0])
    first.submit("submit", by=user(DONGCHENG), comment="")
    # The second officer's check ran before the first submission committed: only the unique key is left.
    monkeypatch.setattr("handlers.document_flow.timing_refusal", lambda *args: None)
    with pytest.raises(DomainError, match="每个时间窗口只能提交一份"):
        second.submit("submit", by=user(DONGCHENG), comment="")
    assert request_of(session, second).status == DocStatus.DRAFT
