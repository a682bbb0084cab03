"""家长核对 and 家长服务平台 (F-59, F-62) and sealed PDFs (F-61), through the web app on the demo world.

The demo's 南明第一小学 homeroom class has a registered parent (13800000001) of its first pupil and a registration
code (DEMO2026JZ) issued for its second, whose first family member's phone is 13800000002 (webapp/demo.py).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from handlers import families
from models.audit import AuditEvent
from models.family import ConfirmationForm, FamilyAccessLog, FamilyRequest, ParentAccount, ParentLink, RequestState
from models.student import Student
from models.workflow import ProcessInstance
from tests.test_photos import jpeg
from webapp.config import Config
from webapp.demo import DEMO_NEW_PARENT_PHONE, DEMO_PARENT_PHONE, DEMO_REGISTRATION_CODE

TEACHER = "nanming-xx-teacher"
NEW_PASSWORD = "jiazhang2026"


def _children(session):
    """The two demo pupils with families: the bound one and the one whose code waits."""
    bound = session.scalars(
        select(Student).join(ParentLink, ParentLink.student_id == Student.id).join(ParentAccount)
        .where(ParentAccount.phone == DEMO_PARENT_PHONE)
    ).one()  # fmt: skip
    waiting = session.scalars(
        select(Student).join(ConfirmationForm, ConfirmationForm.student_id == Student.id)
        .where(Student.id != bound.id, ConfirmationForm.registration_code_digest.is_not(None))
        .order_by(Student.id)
    ).first()  # fmt: skip
    return bound, waiting


def _parent(app, phone=DEMO_PARENT_PHONE, password=Config.DEMO_PASSWORD):
    client = app.test_client()
    response = client.post("/portal/login", data={"phone": phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _upload(client, url, data, name="确认表.jpg", field="file"):
    return client.post(url, data={field: (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_parent_binds_with_code_and_phone_uploads_and_the_teacher_sees_it(app, session, login_as, monkeypatch):
    _, waiting = _children(session)
    client = app.test_client()
    wrong = client.post(
        "/portal/register", data={"code": DEMO_REGISTRATION_CODE, "phone": "13999999999", "password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and "注册码或手机号不正确" in wrong.get_data(as_text=True)
    done = client.post(
        "/portal/register",
        data={"code": DEMO_REGISTRATION_CODE.lower(), "phone": DEMO_NEW_PARENT_PHONE, "password": NEW_PASSWORD},
    )
    assert done.status_code == 302
    page = client.get(f"/portal/students/{waiting.id}")
    assert page.status_code == 200 and waiting.name in page.get_data(as_text=True)
    # The ID number is masked on the portal, and what the parent saw is in the family access log.
    assert waiting.masked_id_number in page.get_data(as_text=True)
    assert waiting.id_doc_number not in page.get_data(as_text=True)
    logged = session.scalars(select(FamilyAccessLog).where(FamilyAccessLog.student_id == waiting.id)).all()
    assert logged and logged[-1].page == "家长服务平台：学籍信息" and logged[-1].address == "127.0.0.1"

    refused = _upload(client, f"/portal/students/{waiting.id}/form", b"MZ not a picture", "确认表.exe")
    assert "格式不支持" in client.get(f"/portal/students/{waiting.id}").get_data(as_text=True)
    assert refused.status_code == 302
    monkeypatch.setattr(families, "MAX_PHOTO_BYTES", 2048)  # 5 MB in production: a big body spools to a temp file
    too_big = _upload(client, f"/portal/students/{waiting.id}/form", b"\xff\xd8\xff" + b"0" * 4096)
    assert too_big.status_code == 302 and "超过5MB" in client.get(f"/portal/students/{waiting.id}").get_data(
        as_text=True
    )
    assert session.get(ConfirmationForm, waiting.id).uploaded_at is None
    monkeypatch.undo()

    _upload(client, f"/portal/students/{waiting.id}/form", jpeg())
    session.expire_all()
    form = session.get(ConfirmationForm, waiting.id)
    assert form.uploaded_at is not None and form.uploaded_by.value == "parent"

    stats = login_as(TEACHER).get("/families/")
    assert stats.status_code == 200
    html = stats.get_data(as_text=True)
    assert f'data-testid="uploaded-{waiting.class_id}">1<' in html


def test_the_teacher_uploads_for_a_parent_resets_the_code_and_the_password(app, session, login_as):
    bound, waiting = _children(session)
    teacher = login_as(TEACHER)
    teacher.get(f"/families/students/{bound.id}/form.pdf")  # the form, with its upload code, exists once printed
    code = session.get(ConfirmationForm, bound.id).upload_code
    teacher.post("/families/upload", data={"upload_code": code, "file": (io.BytesIO(jpeg()), "a.jpg")},
                 content_type="multipart/form-data")  # fmt: skip
    session.expire_all()
    assert session.get(ConfirmationForm, bound.id).uploaded_by.value == "teacher"
    assert f'data-testid="uploaded-{bound.class_id}">1<' in teacher.get("/families/").get_data(as_text=True)

    reset = teacher.post("/families/parents/password", data={"phone": DEMO_PARENT_PHONE})
    assert reset.status_code == 200  # shown in the answer, never in the (signed, readable) session cookie
    temporary = reset.get_data(as_text=True).split("家长密码已重置为 ")[1].split("（")[0]
    parent = _parent(app, password=temporary)
    assert parent.get("/portal/").location.startswith("/portal/password")  # changes it first
    parent.post("/portal/password", data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert parent.get("/portal/").status_code == 200

    page = teacher.post(f"/families/students/{bound.id}/code").get_data(as_text=True)
    assert "的新注册码：" in page
    session.expire_all()
    assert session.scalars(select(ParentLink).where(ParentLink.student_id == bound.id)).all() == []
    assert parent.get(f"/portal/students/{bound.id}").status_code == 404


def test_a_parent_of_another_child_gets_nothing_by_id(app, session, login_as, flows, user):
    bound, waiting = _children(session)
    case = flows("mistaken_deletion", student=waiting, by=user("nanming-xx-registrar"), reason="误录入").case
    registrar = login_as("nanming-xx-registrar")
    assert registrar.get(f"/families/students/{waiting.id}/form.pdf").status_code == 200
    _upload(_register_waiting(app), f"/portal/students/{waiting.id}/form", jpeg())
    other = _parent(app)  # the parent of ``bound`` only
    for url in (
        f"/portal/students/{waiting.id}",
        f"/portal/students/{waiting.id}/photo",
        f"/portal/students/{waiting.id}/form.pdf",
        f"/portal/cases/{case.id}",
    ):
        assert other.get(url).status_code == 404, url
    assert _upload(other, f"/portal/students/{waiting.id}/form", jpeg()).status_code == 404
    assert (
        other.post(f"/portal/students/{waiting.id}/requests", data={"field": "home_address", "value": "x"}).status_code
        == 404
    )
    assert other.get(f"/portal/students/{bound.id}").status_code == 200
    # Staff sign-ins are no parent sign-in: the portal sends them to its own login.
    assert registrar.get(f"/portal/students/{bound.id}").location.startswith("/portal/login")


def _register_waiting(app):
    client = app.test_client()
    client.post(
        "/portal/register",
        data={"code": DEMO_REGISTRATION_CODE, "phone": DEMO_NEW_PARENT_PHONE, "password": NEW_PASSWORD},
    )
    return client


def test_a_parent_follows_a_case_by_its_verbatim_state(app, session, flows, user):
    bound, _ = _children(session)
    case = flows("mistaken_deletion", student=bound, by=user("nanming-xx-registrar"), reason="误录入").case
    page = _parent(app).get(f"/portal/students/{bound.id}").get_data(as_text=True)
    assert case.state_label and f'data-testid="case-state">{case.state_label}<' in page
    assert case.state_label in _parent(app).get(f"/portal/cases/{case.id}").get_data(as_text=True)


def test_a_non_key_correction_waits_for_the_school(app, session, login_as):
    bound, _ = _children(session)
    parent = _parent(app)
    parent.post(f"/portal/students/{bound.id}/requests", data={"field": "guardian1_phone", "value": "13912345678"})
    session.expire_all()
    row = session.scalars(select(FamilyRequest).where(FamilyRequest.student_id == bound.id)).one()
    assert row.state is RequestState.PENDING and session.get(Student, bound.id).guardians[0].phone == DEMO_PARENT_PHONE
    login_as(TEACHER).post(f"/families/requests/{row.id}", data={"decision": "confirm"})
    session.expire_all()
    assert session.get(Student, bound.id).guardians[0].phone == "13912345678"
    assert session.get(FamilyRequest, row.id).state is RequestState.APPLIED
    change = session.scalars(select(AuditEvent).where(AuditEvent.action == "家长更正信息")).one()
    assert change.before == {"guardian1_phone": DEMO_PARENT_PHONE} and change.entity_id == bound.id


def test_a_key_field_correction_starts_the_key_data_change(app, session, login_as):
    bound, _ = _children(session)
    parent = _parent(app)
    url = f"/portal/students/{bound.id}/requests"
    parent.post(url, data={"field": "name", "value": bound.name + "明"})
    assert "须上传证明材料" in parent.get(f"/portal/students/{bound.id}").get_data(as_text=True)
    parent.post(url, data={"field": "name", "value": bound.name + "明", "proof": (io.BytesIO(jpeg()), "户口簿.jpg")},
                content_type="multipart/form-data")  # fmt: skip
    row = session.scalars(select(FamilyRequest).where(FamilyRequest.student_id == bound.id)).one()
    assert row.key_field and row.state is RequestState.PENDING
    answer = login_as("nanming-xx-registrar").post(f"/families/requests/{row.id}", data={"decision": "confirm"})
    assert answer.status_code == 302 and answer.location.startswith("/cases/")
    session.expire_all()
    row = session.get(FamilyRequest, row.id)
    case = session.get(ProcessInstance, row.case_id)
    assert row.state is RequestState.FORWARDED
    assert case.process_key == "key_data_change" and case.state_label == "待学校审核"
    assert session.get(Student, bound.id).open_case_id == case.id
    assert "待学校审核" in _parent(app).get(f"/portal/students/{bound.id}").get_data(as_text=True)


@pytest.fixture
def sealed_form(app, session, login_as, user):
    """南明第一小学's seal, made by the province's security administrator, on a confirmation form."""
    bound, _ = _children(session)
    security = login_as("guizhou-security")
    assert security.get("/admin/seals").status_code == 200
    security.post("/admin/seals", data={"org_id": str(bound.school_id)})
    response = login_as(TEACHER).get(f"/families/students/{bound.id}/form.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def _verify(app, data):
    return app.test_client().post(
        "/seals/verify", data={"file": (io.BytesIO(data), "确认表.pdf")}, content_type="multipart/form-data"
    )


def test_a_sealed_pdf_verifies_and_one_changed_byte_fails(app, session, sealed_form):
    good = _verify(app, sealed_form)
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and "验证通过" in text and "南明第一小学" in text
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "seal.use")).first() is not None
    middle = len(sealed_form) // 3
    changed = sealed_form[:middle] + bytes([sealed_form[middle] ^ 0x01]) + sealed_form[middle + 1 :]
    bad = _verify(app, changed)
    assert bad.status_code == 422 and "验证失败" in bad.get_data(as_text=True)
    unsealed = _verify(app, b"%PDF-1.4\n%%EOF\n")
    assert "验证失败" in unsealed.get_data(as_text=True)


def test_only_the_security_administrator_makes_seals(login_as, session):
    bound, _ = _children(session)
    assert login_as("nanming-admin").post("/admin/seals", data={"org_id": str(bound.school_id)}).status_code == 403
    # Another province's security administrator cannot make Guizhou's seals.
    assert login_as("beijing-security").post("/admin/seals", data={"org_id": str(bound.school_id)}).status_code == 404


def test_the_card_print_carries_the_same_seal(app, session, sealed_form, login_as):
    bound, _ = _children(session)
    card = login_as("nanming-xx-registrar").get(f"/prints/students/{bound.id}/card.pdf")
    assert card.status_code == 200
    assert "验证通过" in _verify(app, card.data).get_data(as_text=True)


def test_wrong_passwords_lock_the_parent_account_like_a_staff_one(app, session):
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = client.post("/portal/login", data={"phone": DEMO_PARENT_PHONE, "password": "not-it-2026"})
        assert wrong.status_code == 422 and "手机号或密码错误" in wrong.get_data(as_text=True)
    right = client.post("/portal/login", data={"phone": DEMO_PARENT_PHONE, "password": Config.DEMO_PASSWORD})
    assert right.status_code == 422 and "账号已暂时锁定" in right.get_data(as_text=True)
    trail = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "parent_account")).all()
    assert trail.count("parent.login.failed") == app.config["LOGIN_MAX_FAILURES"]


def test_the_county_sees_what_parents_looked_at(app, session, login_as):
    bound, _ = _children(session)
    _parent(app).get(f"/portal/students/{bound.id}")
    page = login_as("nanming-county").get(f"/access-log/students/{bound.id}").get_data(as_text=True)
    assert 'data-testid="family-access-log"' in page and "138****0001" in page and "家长服务平台：学籍信息" in page


def test_a_seal_made_under_another_secret_key_refuses_instead_of_printing_unsealed(
    sealed_form, login_as, session, monkeypatch
):
    bound, _ = _children(session)
    monkeypatch.setattr("webapp.prints.passphrase", lambda: b"another-deployment-key")
    refused = login_as(TEACHER).get(f"/families/students/{bound.id}/form.pdf")
    assert refused.status_code == 503 and "电子印章无法使用" in refused.get_data(as_text=True)
