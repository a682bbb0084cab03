"""Every read of personal data is logged (issue 22 item 2), derived from the route list of tests/access_matrix.py:
each route is marked as showing pupils' personal data or not; each marked route is visited by a user it is for and
must leave an access-log row (who, when, from where, which students); each GET route marked as showing none is
visited too and must show no pupil's name or ID number. A route marked neither way fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.routing import Rule

from models.access_log import AccessLog
from models.student import Student
from models.user import Role
from tests.access_matrix import NO_PERSONAL_DATA, PERSONAL_DATA, ROUTES, Access
from tests.test_access_matrix import LOGGED_IN_ROLES, OBJECTS, ROLE_USERS, World, _methods, _request

# Who visits a route open to any logged-in user: the county first (it sees lists of its schools' pupils).
VISITORS = (Role.COUNTY_OFFICER, *LOGGED_IN_ROLES)


@pytest.fixture
def built(session, user, student_of, flows, app) -> World:
    """The objects of 南明区 the access-matrix test builds (tests/test_access_matrix.py OBJECTS)."""
    return World(session, user, student_of, flows, app)


def _lookup(w: World) -> dict[str, str]:
    pupil = w.student_of("nanming-xx-registrar")
    return {"name": pupil.name, "id_doc_number": pupil.id_doc_number}


# Pages whose personal data is the answer to a query (a POST of the search form): the form's fields.
QUERIES = {"registration.lookup": _lookup}


def test_every_route_is_marked_for_personal_data(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - PERSONAL_DATA - NO_PERSONAL_DATA)
    assert not missing, (
        "routes not marked in tests/access_matrix.py as showing personal data (PERSONAL_DATA: the visit must be "
        f"logged) or not (NO_PERSONAL_DATA): {missing}"
    )
    assert not PERSONAL_DATA & NO_PERSONAL_DATA, sorted(PERSONAL_DATA & NO_PERSONAL_DATA)
    assert not (PERSONAL_DATA | NO_PERSONAL_DATA) - set(ROUTES), "marked routes the table does not have"


def _rule(app, endpoint: str) -> Rule:
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _visitors(access: Access) -> list[str]:
    roles = [role for role in access.roles if role in ROLE_USERS] if access.roles else list(VISITORS)
    return list(dict.fromkeys(ROLE_USERS[role][0] for role in roles))


def _last_id(session) -> int:
    return session.scalar(select(func.max(AccessLog.id))) or 0


# Routes that take no login but a credential of their own; their log rows are asserted where that credential is made.
LOGGED_ELSEWHERE = {
    "api.changes": "tests/test_feed.py asserts the 数据交换接口 rows of a token's calls",
    **{
        endpoint: "a parent's sign-in: tests/test_families.py asserts the family access log"
        for endpoint in ("portal.index", "portal.child", "portal.form_pdf", "portal.photo", "portal.case")
    },
}


@pytest.mark.parametrize("endpoint", sorted(PERSONAL_DATA))
def test_a_page_with_personal_data_logs_who_saw_whom(endpoint, app, built, login_as, session, user):
    if endpoint in LOGGED_ELSEWHERE:
        pytest.skip(LOGGED_ELSEWHERE[endpoint])
    world = built
    access = ROUTES[endpoint]
    rule = _rule(app, endpoint)
    # The pupil of the objects built below is looked for whatever the length of its name.
    pupils = [*_pupils(session), world.student_of("nanming-xx-registrar").name]
    if not access.kind:
        case = world.case()  # a case of 南明第一小学's pupil: the inbox, case lists and workbench lists show it
        if endpoint == "inbox.done":
            case.submit("county_review", by=user("nanming-county"), decision="驳回", review_comment="在校")
    answered = {}
    for name in _visitors(access):
        args = OBJECTS[access.kind](world, user(name)) if access.kind else {}
        client = login_as(name)
        before = _last_id(session)
        if endpoint in QUERIES:
            response = client.post(rule.rule, data=QUERIES[endpoint](world))
        else:
            response = _request(client, rule, args)
        answered[name] = response.status_code
        if response.status_code >= 400:  # a page the role check lets in but the view refuses (e.g. no school)
            continue
        session.expire_all()
        rows = session.scalars(select(AccessLog).where(AccessLog.id > before).order_by(AccessLog.id)).all()
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        shown = [p for p in pupils if p in body]
        assert rows or not shown, f"{endpoint} showed {name} {shown[:3]} and logged nothing"
        if rows:
            assert {(r.user_id, r.org_id) for r in rows} == {(user(name).id, user(name).org_id)}
            assert all(r.address == "127.0.0.1" and r.at is not None and r.page for r in rows)
            # Which students: named one by one, or (an export, a query result) counted.
            assert all(r.student_id is not None or r.rows >= 0 for r in rows)
            if shown:
                assert {r.student_id for r in rows} - {None} or rows[0].rows > 0, f"{endpoint}: whom it showed"
            return
    assert any(status < 400 for status in answered.values()), f"{endpoint} answered {answered}"
    pytest.skip(f"{endpoint}: the demo world gives {sorted(answered)} no pupil to show here")


def _pupils(session) -> list[str]:
    """Names and ID numbers of the demo world's pupils, as a page would show them."""
    found: set[str] = set()
    for name, number in session.execute(select(Student.name, Student.id_doc_number)):
        if len(name) >= 3:  # two-character names could be any word of the interface
            found.add(name)
        if number:
            found.add(number)
    return sorted(found)


def test_pages_marked_without_personal_data_show_no_pupil(app, login_as, session, user):
    pupils = _pupils(session)
    shown = []
    for endpoint in sorted(NO_PERSONAL_DATA):
        rule = _rule(app, endpoint)
        access = ROUTES[endpoint]
        if "GET" not in _methods(rule) or rule.arguments or access.public:
            continue
        for name in _visitors(access)[:1]:
            response = _request(login_as(name), rule)
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            hits = [p for p in pupils if p in body]
            if hits:
                shown.append(f"{endpoint} ({name}): {hits[:3]}")
    assert not shown, "pages marked NO_PERSONAL_DATA that show pupils:\n" + "\n".join(shown)
