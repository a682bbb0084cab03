"""家长服务平台 on a phone (F-62, F-59): the demo parent signs in at 390×844, sees the transfer of the child under
the state name the schools see, and uploads the photo of the signed confirmation form. Screenshots in e2e/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import engine as wf
from e2e.accounts import PASSWORD
from e2e.conftest import TIMEOUT_MS, LiveServer
from models.family import ConfirmationForm, ParentAccount, ParentLink
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus
from models.user import User
from tests.test_photos import jpeg
from webapp.demo import DEMO_PARENT_PHONE

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def seed_transfer(database_url: str) -> tuple[int, str]:
    """云岩第一小学 asks for the demo parent's child (an in-province transfer, F-29): the child's id and the case's
    state as the engine named it."""
    db = create_engine(database_url)
    with Session(db) as session:
        link = session.scalars(
            select(ParentLink).join(ParentAccount).where(ParentAccount.phone == DEMO_PARENT_PHONE)
        ).one()
        child = session.get_one(Student, link.student_id)
        if child.status != StudentStatus.IN_SCHOOL or child.open_case_id is not None:
            # The served demo is shared: another browser test may have taken this pupil for a case of its own.
            # The parent's child becomes a schoolmate nobody has touched (as a teacher re-binding would).
            child = session.scalars(
                select(Student)
                .where(Student.school_id == child.school_id, Student.status == StudentStatus.IN_SCHOOL)
                .where(Student.open_case_id.is_(None))
                .order_by(Student.id.desc())
            ).first()
            link.student_id = child.id
            session.flush()
        receiving = session.scalars(select(User).where(User.username == "yunyan-xx-registrar")).one()
        to_class = session.scalars(
            select(SchoolClass).join(Cohort).where(Cohort.school_id == receiving.org_id).order_by(SchoolClass.id)
        ).first()
        case = wf.start(
            session,
            "transfer_in_province",
            student_id=child.id,
            actor=receiving,
            data={"to_class_id": to_class.id, "cause": "房产变更", "reason": "家庭搬迁"},
            to_school_id=receiving.org_id,
        )
        answer = (child.id, case.state_label)
    db.dispose()
    return answer


def uploaded(database_url: str, student_id: int) -> ConfirmationForm | None:
    db = create_engine(database_url)
    with Session(db) as session:
        form = session.get(ConfirmationForm, student_id)
        answer = form if form is not None and form.uploaded_at is not None else None
        if answer is not None:
            session.expunge(answer)
    db.dispose()
    return answer


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    refused: list[str] = []  # what the browser refused (CSP) or failed to load
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    yield page, refused
    context.close()


def test_a_parent_on_a_phone_sees_the_transfer_and_uploads_the_form(
    phone: tuple[Page, list[str]], live_server: LiveServer, artifacts_dir: Path, tmp_path: Path
) -> None:
    page, refused = phone
    child_id, state = seed_transfer(live_server.database_url)
    assert state

    page.goto("/portal/login")
    expect(page.get_by_text(DEMO_PARENT_PHONE).first).to_be_visible()  # the demo accounts are listed
    page.locator("input[name=phone]").fill(DEMO_PARENT_PHONE)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_test_id("parent-login").click()
    page.get_by_test_id("child").first.click()

    expect(page.get_by_test_id("case-state").first).to_have_text(state)
    assert "*" in page.get_by_test_id("masked-id").inner_text()
    page.screenshot(path=artifacts_dir / "parent-phone-child.png", full_page=True)

    photo = tmp_path / "确认表.jpg"
    photo.write_bytes(jpeg())
    page.get_by_test_id("form-file").set_input_files(photo)
    page.get_by_test_id("form-upload").click()
    expect(page.get_by_test_id("form-uploaded")).to_be_visible()
    upload_button = page.get_by_test_id("form-upload").bounding_box()
    assert upload_button is not None and upload_button["width"] > 300  # a full-width button on the phone
    page.screenshot(path=artifacts_dir / "parent-phone-uploaded.png", full_page=True)

    form = uploaded(live_server.database_url, child_id)
    assert form is not None and form.uploaded_by is not None and form.uploaded_by.value == "parent"
    assert not refused, refused
