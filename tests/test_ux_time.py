"""One time (issue 20 item 3): stored in UTC, shown in the display zone on every page and export that shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from models import clock
from models.workflow import ProcessInstance
from tests.test_transfer_web import RECEIVING, SENDING, request_transfer

# Late evening in UTC is the next morning in China: a page formatting in UTC shows another day and hour.
STARTED = datetime(2026, 9, 9, 18, 24, tzinfo=UTC)
SHANGHAI, AS_UTC = "2026-09-10 02:24", "2026-09-09 18:24"


@pytest.fixture
def transfer(login_as, session, student_of, user, clock) -> ProcessInstance:
    response = request_transfer(login_as(RECEIVING), session, student_of(SENDING), user)
    assert response.status_code == 302
    case = session.get(ProcessInstance, int(response.location.rsplit("/", 1)[1]))
    case.started_at = STARTED
    session.flush()
    return case


def test_a_cases_start_reads_the_same_on_every_page_and_export(login_as, transfer):
    pages = {
        RECEIVING: [f"/cases/{transfer.id}", "/cases/mine", "/transfers/?direction=in", "/lifecycle/pending"],
        SENDING: [
            f"/cases/{transfer.id}",
            f"/students/{transfer.student_id}",
            "/transfers/?direction=out",
            "/lifecycle/pending",
        ],
        "nanming-county": [f"/cases/{transfer.id}", "/lifecycle/pending"],
    }
    for username, paths in pages.items():
        client = login_as(username)
        for path in paths:
            response = client.get(path)
            body = response.get_data(as_text=True)
            assert response.status_code == 200, (username, path)
            assert SHANGHAI in body, (username, path)
            assert AS_UTC not in body, (username, path)

    export = login_as(RECEIVING).get("/lifecycle/pending", query_string={"format": "xlsx"})
    sheet = load_workbook(BytesIO(export.data)).active
    headers = [cell.value for cell in sheet[1]]
    started = {row[0]: row[headers.index("发起时间")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert started[transfer.id] == SHANGHAI


def test_the_display_zone_is_a_setting():
    try:
        clock.set_display_zone("UTC")
        assert clock.local_text(STARTED) == AS_UTC
        clock.set_display_zone("Asia/Shanghai")
        assert clock.local_text(STARTED) == SHANGHAI
        assert clock.local_text(STARTED.replace(tzinfo=None)) == SHANGHAI  # SQLite's naive UTC
        assert clock.local_text(None) == ""
        with pytest.raises(ValueError, match="未知的时区"):
            clock.set_display_zone("Mars/Olympus")
    finally:
        clock.set_display_zone(clock.DEFAULT_ZONE)
