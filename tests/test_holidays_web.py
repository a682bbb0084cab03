"""节假日设置 (Q-16): the national officer keeps the national holiday table, provinces read it; deadlines follow it.

The 2027 dates below are test input, not the State Council's 2027 calendar (unpublished when written).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.holidays import Holiday, of_year, working_calendar

URL = "/settings/holidays/"
NATIONAL_DAY_2027 = {"start_date": "2027-10-01", "end_date": "2027-10-07", "kind": "off", "name": "国庆节"}


def days(session, year: int) -> list[tuple[str, bool, str]]:
    return [(h.day.isoformat(), h.is_working_day, h.name) for h in of_year(session, year)]


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("national", 200),
        ("guizhou-province", 200),
        ("beijing-province", 200),
        ("guiyang-city", 403),
        ("nanming-county", 403),
        ("nanming-xx-registrar", 403),
        ("guizhou-policy", 403),
    ],
)
def test_who_may_open_the_holiday_page(login_as, username, status):
    assert login_as(username).get(URL).status_code == status


def test_the_page_lists_the_years_exceptions(login_as):
    page = login_as("national").get(URL, query_string={"year": 2026}).get_data(as_text=True)
    assert "2026年：放假33天，调休上班6天" in page
    assert "国庆调休上班" in page and "2026-10-10" in page and "春节" in page
    assert 'data-testid="nav-holidays"' in page
    empty = login_as("national").get(URL, query_string={"year": 2030}).get_data(as_text=True)
    assert "2030年尚未设置节假日，工作日按周一至周五计算" in empty


def test_a_range_of_days_off_and_a_saturday_worked_are_added(login_as, session):
    client = login_as("national")
    added = client.post(URL, data=NATIONAL_DAY_2027)
    assert added.status_code == 302 and added.headers["Location"].endswith("year=2027")
    client.post(URL, data={"start_date": "2027-10-09", "kind": "worked", "name": "国庆调休上班"})
    assert days(session, 2027) == [(f"2027-10-0{d}", False, "国庆节") for d in range(1, 8)] + [
        ("2027-10-09", True, "国庆调休上班")
    ]
    calendar = working_calendar(session)
    assert calendar.add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 8)
    assert calendar.add_working_days(date(2027, 10, 8), 1) == date(2027, 10, 9)  # the Saturday worked
    page = client.get(URL, query_string={"year": 2027}).get_data(as_text=True)
    assert page.count('data-testid="holiday-row"') == 8
    audited = session.scalars(select(AuditEvent).where(AuditEvent.entity == "holiday")).all()
    assert (
        sum(e.action == "设置节假日" and e.after["名称"] == "国庆节" and e.after["日期"] >= "2027" for e in audited)
        == 7
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_date": "2027-09-30"}, "结束日期不能早于开始日期"),
        ({"end_date": "2027-11-15"}, "一次最多设置31天，2027年10月1日（周五）至2027年11月15日（周一）共46天"),
        ({"start_date": "2027-10-32"}, "不是有效的日期值"),
        ({"start_date": ""}, "请填写开始日期"),
        ({"name": "  "}, "请填写名称"),
        (
            {"kind": "worked", "end_date": "2027-10-03"},
            "2027年10月1日（周五）本来就是工作日，调休上班只能设在周六或周日",
        ),
        (
            {"start_date": "2026-10-01", "end_date": "2026-10-08"},
            "2026年10月1日（周四）、2026年10月2日（周五）、2026年10月3日（周六）等已设置为“国庆节”，请先删除再重新设置",
        ),
        ({"start_date": "2026-10-10", "end_date": "2026-10-11"}, "2026年10月10日（周六）已设置为“国庆调休上班”"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(login_as, session, change, message):
    before = days(session, 2026) + days(session, 2027)
    page = login_as("national").post(URL, data={**NATIONAL_DAY_2027, **change})
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert days(session, 2026) + days(session, 2027) == before  # 8 Oct 2026 was free, yet not written either


def test_a_day_is_deleted_and_the_working_days_follow(login_as, session):
    worked = session.scalars(select(Holiday).where(Holiday.day == date(2026, 10, 10))).one()
    assert working_calendar(session).add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    response = login_as("national").post(f"{URL}{worked.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("year=2026")
    assert ("2026-10-10", True, "国庆调休上班") not in days(session, 2026)
    assert working_calendar(session).add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 12)
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "holiday", AuditEvent.action == "删除节假日"))
    assert event.one().before == {"日期": "2026-10-10", "类型": "调休上班", "名称": "国庆调休上班"}
    gone = login_as("national").post(f"{URL}{worked.id}/delete", follow_redirects=True)
    assert "该日期已不在节假日表中" in gone.get_data(as_text=True)


def test_a_province_reads_the_national_table_but_cannot_change_it(login_as):
    page = login_as("guizhou-province").get(URL, query_string={"year": 2026}).get_data(as_text=True)
    assert "国庆节" in page and 'data-testid="holidays-read-only"' in page
    assert 'data-testid="new-holiday"' not in page and "删除</button>" not in page


@pytest.mark.parametrize("username", ["guizhou-province", "nanming-xx-registrar", "nanming-county", "guiyang-city"])
def test_a_school_or_another_authority_cannot_edit(login_as, session, username):
    before = days(session, 2026)
    client = login_as(username)
    assert client.post(URL, data=NATIONAL_DAY_2027).status_code == 403
    holiday_id = session.scalars(select(Holiday.id).where(Holiday.day == date(2026, 10, 1))).one()
    assert client.post(f"{URL}{holiday_id}/delete").status_code == 403
    assert days(session, 2026) == before and days(session, 2027) == []


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
