"""The access-control matrix: every route of ``app.url_map`` against the table in tests/access_matrix.py.

Anonymous visitors are sent to the login page; every role's user gets 403 where the table says the route is not
theirs (and no 403 on the pages that are); a user of another county or of another province gets 404 for a student,
case, task, attachment, class, term, ... of 南明区, while its own user does not. (Photos are stored, never served
back: there is no photo route to classify yet; a new one fails ``test_every_route_is_classified``.)
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from handlers import families
from handlers.staged_intake import stage_data_source
from models import feed
from models.attachment import store_upload
from models.calendar import AUTUMN, AcademicYear, Term
from models.class_size import ClassSizeLimit
from models.document_flow import DocumentRequest, store_attachment
from models.family import FamilyRequest, ParentAccount, ParentLink
from models.job import Job
from models.lifecycle import PromotionRun
from models.org import Cohort, SchoolClass, Stage
from models.quality import QualityCampaign
from models.staged_intake import StagedRecord
from models.student import Student
from models.user import Role, User
from models.workbench import NoticeKind, Notification, SavedView
from tests.access_matrix import ROUTES, Access, unclassified
from webapp.demo_rows import valid_row

R = Role
# Per role: its user in 南明区 (南明第一小学 for the school roles), then users with the same role in another county
# (or city) of 贵州省 and in 北京市, where the demo world has them.
ROLE_USERS: dict[Role, tuple[str, ...]] = {
    R.SCHOOL_REGISTRAR: ("nanming-xx-registrar", "yunyan-xx-registrar", "dongcheng-xx-registrar"),
    R.SCHOOL_REVIEWER: ("nanming-xx-reviewer", "yunyan-xx-reviewer", "dongcheng-xx-reviewer"),
    R.HOMEROOM_TEACHER: ("nanming-xx-teacher", "yunyan-xx-teacher", "dongcheng-xx-teacher"),
    R.COUNTY_OFFICER: ("nanming-county", "yunyan-county", "dongcheng-county"),
    R.CITY_OFFICER: ("guiyang-city", "zunyi-city"),
    R.PROVINCE_OFFICER: ("guizhou-province", "beijing-province"),
    R.NATIONAL_OFFICER: ("national",),
    R.POLICY_OFFICER: ("guizhou-policy",),
    R.ADMINISTRATOR: ("nanming-admin", "yunyan-admin", "dongcheng-admin"),
    R.SECURITY_ADMINISTRATOR: ("guizhou-security", "beijing-security"),
    R.AUDIT_ADMINISTRATOR: ("guizhou-audit", "beijing-audit"),
}
# Who opens an object route that any logged-in user may use: the county, or the school that has the object.
LOGGED_IN_ROLES = (R.COUNTY_OFFICER, R.SCHOOL_REGISTRAR)


def endpoints(app: Flask) -> dict[str, str]:
    return {rule.endpoint: f"{rule.rule} [{','.join(sorted(_methods(rule)))}]" for rule in app.url_map.iter_rules()}


def assert_classified(app: Flask) -> None:
    missing = unclassified(endpoints(app))
    assert not missing, "\n".join(["routes nobody has classified:", *missing])


def _methods(rule: Rule) -> set[str]:
    return set(rule.methods or ()) - {"HEAD", "OPTIONS"}


def _url(rule: Rule, args: dict[str, Any] | None = None) -> str:
    values = dict(args or {})
    values = {k: v for k, v in values.items() if k in rule.arguments}
    for name, converter in rule._converters.items():
        values.setdefault(name, 1 if isinstance(converter, NumberConverter) else "x")
    _, path = rule.build(values)
    return path


def _request(client: Any, rule: Rule, args: dict[str, Any] | None = None) -> Any:
    """GET when the route has it, else POST; ``args`` the rule does not take go in the form (or query string)."""
    method = "GET" if "GET" in _methods(rule) else "POST"
    fields = {k: v for k, v in (args or {}).items() if k not in rule.arguments}
    if method == "GET":
        return client.get(_url(rule, args), query_string=fields)
    return client.post(_url(rule, args), data=fields)


def _rules(app: Flask) -> list[Rule]:
    """The classified routes (an unclassified one fails ``test_every_route_is_classified``, and only that)."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint in ROUTES), key=lambda r: r.endpoint)


# -- the table covers the app ------------------------------------------------------------------------------------------


def test_every_route_is_classified(app):
    assert_classified(app)
    gone = sorted(set(ROUTES) - set(endpoints(app)))
    assert not gone, f"ROUTES in tests/access_matrix.py names endpoints the app no longer has: {gone}"


def test_a_new_route_without_a_line_in_the_table_fails(app):
    app.add_url_rule("/workbench/board", "workbench.board", lambda: "board")
    with pytest.raises(AssertionError) as failure:
        assert_classified(app)
    message = str(failure.value)
    assert '/workbench/board [GET] (endpoint "workbench.board") is not classified' in message
    assert '"workbench.board": logged_in() | roles(Role.X, ...)' in message and "tests/access_matrix.py" in message


def test_each_object_route_names_the_loader_its_view_calls(app):
    for endpoint, access in ROUTES.items():
        if access.kind:
            source = inspect.getsource(inspect.unwrap(app.view_functions[endpoint]))
            assert access.loader in source, f"{endpoint}: the view does not call {access.loader}"
            assert access.kind in OBJECTS, f"{endpoint}: add a builder for {access.kind!r} to OBJECTS in {__file__}"


# -- who gets in -------------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client, app):
    for rule in _rules(app):
        response = _request(client, rule)
        if ROUTES[rule.endpoint].public:
            assert "/login" not in (response.location or ""), rule.endpoint
        elif ROUTES[rule.endpoint].parent:
            assert response.status_code == 302 and response.location.startswith("/portal/login"), rule.endpoint
        else:
            assert response.status_code == 302 and response.location.startswith("/login"), rule.endpoint


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_gets_403_exactly_where_the_table_says(role, app, login_as, user):
    client = login_as(ROLE_USERS[role][0])
    level = user(ROLE_USERS[role][0]).org.level.value
    wrong = []
    for rule in _rules(app):
        access = ROUTES[rule.endpoint]
        if access.public or rule.endpoint == "auth.logout":
            continue
        if access.parent:  # a staff sign-in is no parent's: the portal's own login (the auditor's POST: 403 first)
            response = _request(client, rule)
            if response.status_code != 403 and not (response.location or "").startswith("/portal/login"):
                wrong.append(f"{rule.endpoint}: {response.status_code}, expected the portal's login")
            continue
        allowed = (not access.roles or role in access.roles) and (not access.levels or level in access.levels)
        if not allowed:
            status = _request(client, rule).status_code
            if status != 403:
                wrong.append(f"{rule.endpoint}: {status}, expected 403")
        elif "GET" in _methods(rule) and not rule.arguments:
            status = _request(client, rule).status_code
            if status == 403 or status >= 500:
                wrong.append(f"{rule.endpoint}: {status} for a role the table allows")
    assert not wrong, "\n".join(wrong)


# -- objects of another jurisdiction -----------------------------------------------------------------------------------


@dataclass
class World:
    session: Session
    user: Callable[[str], User]
    student_of: Callable[[str], Any]
    flows: Callable[..., Any]
    app: Flask

    def case(self) -> Any:
        registrar = self.user("nanming-xx-registrar")
        return self.flows(
            "mistaken_deletion", student=self.student_of("nanming-xx-registrar"), by=registrar, reason="误录入"
        )


def _student(w: World, owner: User) -> dict[str, Any]:
    return {"student_id": w.student_of("nanming-xx-registrar").id, "process_key": "mistaken_deletion"}


def _case(w: World, owner: User) -> dict[str, Any]:
    return {"case_id": w.case().case.id}


def _task(w: World, owner: User) -> dict[str, Any]:
    return {"task_id": w.case().open_task("county_review").id, "opinion": "同意"}


def _attachment(w: World, owner: User) -> dict[str, Any]:
    case = w.case().case
    pdf = store_upload(w.session, student_id=case.student_id, user=owner, filename="证明.pdf", data=b"%PDF-1.4 x")
    pdf.instance_id = case.id
    w.session.commit()
    return {"case_id": case.id, "attachment_id": pdf.id}


def _school_cohort(w: World) -> Cohort:
    school_id = w.user("nanming-xx-registrar").org_id
    return w.session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.id)).first()


def _cohort(w: World, owner: User) -> dict[str, Any]:
    return {"cohort_id": _school_cohort(w).id}


def _class(w: World, owner: User) -> dict[str, Any]:
    first, second = w.session.scalars(
        select(SchoolClass).where(SchoolClass.cohort_id == _school_cohort(w).id).order_by(SchoolClass.id)
    ).all()[:2]
    return {"class_id": first.id, "target_class_id": second.id}


def _own_term(w: World, owner: User) -> dict[str, Any]:
    school_id = w.user("nanming-xx-registrar").org_id
    return {"term_id": w.session.scalars(select(Term.id).where(Term.org_id == school_id)).first()}


def _county_term(w: World, owner: User) -> dict[str, Any]:
    """A term of 南明区 that its schools have not confirmed yet."""
    county_id = w.user("nanming-county").org_id
    year = AcademicYear(org_id=county_id, name="2030-2031", start_year=2030)
    w.session.add(year)
    w.session.flush()
    term = Term(
        academic_year_id=year.id,
        org_id=county_id,
        season=AUTUMN,
        start_date=date(2030, 9, 1),
        end_date=date(2031, 1, 20),
    )
    w.session.add(term)
    w.session.commit()
    return {"term_id": term.id}


def _class_size_setting(w: World, owner: User) -> dict[str, Any]:
    setting = ClassSizeLimit(org_id=w.user("nanming-county").org_id, stage=Stage.PRIMARY, max_students=45)
    w.session.add(setting)
    w.session.commit()
    return {"setting_id": setting.id}


def _promotion_run(w: World, owner: User) -> dict[str, Any]:
    run = PromotionRun(
        org_id=w.user("guizhou-province").org_id, from_year=2031, to_year=2032, promote_at=date(2032, 8, 31)
    )
    w.session.add(run)
    w.session.commit()
    return {"run_id": run.id}


def _upload(w: World, owner: User) -> dict[str, Any]:
    token = secrets.token_hex(16)
    folder = w.app.config["IMPORT_DIR"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{owner.id}-{token}.xlsx").write_bytes(b"PK\x03\x04 an upload of its owner")
    return {"token": token, "business_type": "新生注册"}


def _notification(w: World, owner: User) -> dict[str, Any]:
    row = Notification(user_id=owner.id, kind=NoticeKind.URGED, text="请尽快办理")
    w.session.add(row)
    w.session.commit()
    return {"notification_id": row.id}


def _saved_view(w: World, owner: User) -> dict[str, Any]:
    view = SavedView(user_id=owner.id, name="本周到期", filters={})
    w.session.add(view)
    w.session.commit()
    return {"view_id": view.id}


def _user(w: World, owner: User) -> dict[str, Any]:
    return {"user_id": w.user("nanming-xx-teacher").id}


def _job(w: World, owner: User) -> dict[str, Any]:
    job = Job(
        key=f"matrix-{secrets.token_hex(8)}",
        kind="student_import.dry_run",
        title="导入检查",
        started_by_id=owner.id,
        org_id=owner.org_id,
    )
    w.session.add(job)
    w.session.commit()
    return {"job_id": job.id}


def _api_token(w: World, owner: User) -> dict[str, Any]:
    token, _text = feed.issue(w.session, actor=owner, org=owner.org, name="矩阵测试")
    w.session.commit()
    return {"token_id": token.id}


def _confirmation_photo(w: World, owner: User) -> dict[str, Any]:
    pupil = w.student_of("nanming-xx-registrar")
    form = families.form_of(w.session, pupil)
    form.photo, form.photo_type, form.uploaded_at = b"\xff\xd8\xff a photo", "image/jpeg", datetime.now(UTC)
    w.session.commit()
    return {"student_id": pupil.id}


def _family_request(w: World, owner: User) -> dict[str, Any]:
    pupil = w.student_of("nanming-xx-registrar")
    account = ParentAccount(phone=f"139{secrets.randbelow(10**8):08d}", password_hash="x")
    w.session.add(account)
    w.session.flush()
    row = FamilyRequest(
        student_id=pupil.id, parent_id=account.id, field="home_address", new_value="贵阳市南明区某路1号"
    )
    w.session.add(row)
    w.session.commit()
    return {"request_id": row.id, "decision": "reject"}


def _quality_campaign(w: World, owner: User) -> dict[str, Any]:
    county = w.user("nanming-county")
    campaign = QualityCampaign(org_id=county.org_id, title="核查", deadline=date(2032, 7, 31), opened_by_id=county.id)
    w.session.add(campaign)
    w.session.flush()
    return {"campaign_id": campaign.id}


# kind → the URL arguments naming one such object of 南明区 (南明第一小学 for a school's objects), made for ``owner``.
def _document_request(w: World, owner: User) -> dict[str, Any]:
    """A filing of 南明区 (filings may be drafted in any month) with one attachment."""
    county = w.user("nanming-county")
    case = w.flows(
        "document_flow",
        student=None,
        by=county,
        to_school_id=county.org_id,
        category="filing",
        doc_type="删除全国临时学籍",
        student_name="删除全国临时学籍备案",
    )
    row = w.session.scalars(select(DocumentRequest).where(DocumentRequest.instance_id == case.case.id)).one()
    upload = store_attachment(w.session, county, "附件.pdf", b"%PDF-1.4 x")
    upload.request_id = row.id
    w.session.commit()
    return {"request_id": row.id, "attachment_id": upload.id}


def _staged_record(w: World, owner: User) -> dict[str, Any]:
    registrar = w.user("nanming-xx-registrar")
    stage_data_source(w.session, registrar, registrar.org_id, [valid_row(310)])
    w.session.commit()
    found = w.session.scalars(select(StagedRecord.id).where(StagedRecord.school_id == registrar.org_id))
    return {"staged_id": max(found)}


OBJECTS: dict[str, Callable[[World, User], dict[str, Any]]] = {
    "staged_record": _staged_record,
    "document_request": _document_request,
    "student": _student,
    "case": _case,
    "task": _task,
    "attachment": _attachment,
    "cohort": _cohort,
    "class": _class,
    "own_term": _own_term,
    "county_term": _county_term,
    "class_size_setting": _class_size_setting,
    "promotion_run": _promotion_run,
    "upload": _upload,
    "notification": _notification,
    "saved_view": _saved_view,
    "job": _job,
    "user": _user,
    "api_token": _api_token,
    "quality_campaign": _quality_campaign,
    "confirmation_photo": _confirmation_photo,
    "family_request": _family_request,
}
# An upload of somebody else is "not there": the view answers as for an expired one (a redirect, nothing shown).
NOT_THERE = {"upload": (302, 404)}


def _scoped() -> Iterator[str]:
    return (endpoint for endpoint, access in ROUTES.items() if access.kind)


@pytest.fixture
def world(session, user, student_of, flows, app) -> World:
    return World(session, user, student_of, flows, app)


@pytest.mark.parametrize("endpoint", sorted(_scoped()))
def test_objects_of_this_county_are_404_to_other_counties_and_provinces(endpoint, app, world, login_as):
    access: Access = ROUTES[endpoint]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    route_roles = access.roles or LOGGED_IN_ROLES
    owners = [world.user(ROLE_USERS[role][0]) for role in route_roles]
    args = OBJECTS[access.kind](world, owners[0])
    outsiders = sorted({name for role in route_roles for name in ROLE_USERS[role][1:]})
    assert outsiders, f"{endpoint}: no user of another jurisdiction has its roles"
    for name in outsiders:
        status = _request(login_as(name), rule, args).status_code
        assert status in NOT_THERE.get(access.kind, (404,)), f"{endpoint} answered {name} with {status}"
    # The same URL for its own users: the 404s above are about jurisdiction, not about a wrong id.
    answers = {owner.username: _request(login_as(owner.username), rule, args).status_code for owner in owners}
    assert any(s not in (403, 404) and s < 500 for s in answers.values()), f"{endpoint} answered its own {answers}"


# -- the parents' portal (F-62): a parent sees its own children only ---------------------------------------------------


def test_a_parent_gets_404_for_another_childs_objects(app, world, session):
    """Every portal route that names a child or a case, for a pupil of another family: 404 (tests/test_families.py
    shows the same URLs answer the child's own parent)."""
    registrar = world.user("nanming-xx-registrar")
    bound = select(ParentLink.student_id)
    pupil = session.scalars(
        select(Student).where(Student.school_id == registrar.org_id, Student.id.not_in(bound)).order_by(Student.id)
    ).first()
    case = world.flows("mistaken_deletion", student=pupil, by=registrar, reason="误录入").case
    client = app.test_client()
    response = client.post("/portal/login", data={"phone": "13800000001", "password": "Xueji@2026"})
    assert response.status_code == 302
    named = [r for r in _rules(app) if ROUTES[r.endpoint].parent and r.arguments]
    assert named
    for rule in named:
        args = {"student_id": pupil.id, "case_id": case.id, "field": "home_address", "value": "x"}
        assert ROUTES[rule.endpoint].loader in inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        assert _request(client, rule, args).status_code == 404, rule.endpoint
