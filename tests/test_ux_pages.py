"""The pages as users meet them (issue 20): phone-sized screens, menus, actions, no internal codes."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from models.org import Cohort
from models.student import Student
from models.user import User
from tests.test_transfer_web import request_transfer

REGISTRAR, SENDING = "nanming-xx-registrar", "yunyan-xx-registrar"
PAGE_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def body(response) -> str:
    return response.get_data(as_text=True)


def test_the_menu_collapses_with_bootstraps_own_script_served_locally(login_as):
    client = login_as("nanming-xx-registrar")
    page = body(client.get("/students/"))
    assert 'data-bs-toggle="collapse"' in page and 'id="xj-nav"' in page
    scripts = PAGE_SCRIPT.findall(page)
    # The CSP allows scripts from 'self' only: every script is a file, none is inline.
    assert scripts and all("src=" in attrs for attrs in scripts)
    for src in re.findall(r'<script src="([^"]+)"', page):
        with client.get(src) as response:
            assert response.status_code == 200 and "javascript" in response.mimetype, src
    assert "bootstrap.bundle.min.js" in page


def menu_links(page: str) -> list[str]:
    nav = page[page.index('id="xj-nav"') : page.index("</ul>", page.index('id="xj-nav"'))]
    return re.findall(r'<a class="(?:nav-link|dropdown-item)" href="([^"]+)"', nav)


@pytest.fixture
def one_user_per_kind(session) -> list[User]:
    """A user of each distinct set of roles and org level of the demo world."""
    kinds: dict[tuple[frozenset[str], str], User] = {}
    for u in session.scalars(select(User).where(User.active).order_by(User.id)):
        kinds.setdefault((frozenset(u.roles), u.org.level), u)
    return list(kinds.values())


def test_every_menu_entry_a_user_sees_opens(login_as, one_user_per_kind):
    seen: set[str] = set()
    for u in one_user_per_kind:
        client = login_as(u.username)
        links = menu_links(body(client.get("/")))
        assert links, u.username
        for href in links:
            assert client.get(href).status_code == 200, (u.username, href)
        seen.update(links)
    assert "/lifecycle/dropouts" in seen and "/transfers/settings/" in seen


def test_the_menu_hides_what_the_role_may_not_open(login_as):
    teacher = menu_links(body(login_as("nanming-xx-teacher").get("/")))
    assert "/lifecycle/dropouts" not in teacher  # 辍学统计 is for registrars and authorities (was a 403)
    assert "/processes/" not in teacher
    policy = menu_links(body(login_as("guizhou-policy").get("/")))
    assert "/processes/" in policy and "/transfers/settings/" in policy
    assert "/transfers/settings/" not in menu_links(body(login_as("nanming-county").get("/")))


def _pupil_of_cohort(session, school_id: int, *, oldest: bool) -> Student:
    order = Cohort.cohort_year if oldest else Cohort.cohort_year.desc()
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(order)).first()
    return session.scalars(
        select(Student).where(Student.class_id.in_([c.id for c in cohort.classes])).order_by(Student.id)
    ).first()


def test_the_student_page_offers_only_the_actions_that_apply(login_as, session, user, student_of):
    pupil = student_of("nanming-xx-registrar")
    page = body(login_as("nanming-xx-registrar").get(f"/students/{pupil.id}"))
    assert 'data-testid="start-status_change"' in page
    assert "start-senior_graduation" not in page and "申请高中毕结业" not in page
    # One style for requests; only the removal of the record is marked as dangerous.
    assert page.count("btn-outline-danger") == 1 and 'data-testid="start-mistaken_deletion"' in page

    client = login_as("nanming-gz-registrar")
    school_id = user("nanming-gz-registrar").org_id
    third_grade = _pupil_of_cohort(session, school_id, oldest=True)
    first_grade = _pupil_of_cohort(session, school_id, oldest=False)
    assert "start-senior_graduation" in body(client.get(f"/students/{third_grade.id}"))
    assert "start-senior_graduation" not in body(client.get(f"/students/{first_grade.id}"))


SPEC_ID = re.compile(r"(?<![\w-])(?:[FVQRT]-\d{1,3}|§\s?\d)(?![\w-])")


def _visible_text(page: str) -> str:
    """What the page shows: no scripts, tags or attributes (class names and URLs are no concern of users)."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", page)


# 用户管理 is where an administrator reads and hands out login names: the one place they belong on screen.
ACCOUNT_PAGES = ("/admin/users",)


def _matrix(app) -> list[str]:
    """Every GET page of the app that needs no id in its URL (exports and files aside)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.endswith((".xlsx", ".bpmn")):
            if rule.endpoint not in {"static", "vendor"} and not rule.rule.startswith("/logout"):
                paths.append(rule.rule)
    return sorted(paths)


def test_no_page_shows_a_spec_id_or_a_login_name(app, login_as, session, one_user_per_kind, student_of, flows, user):
    registrar = user("nanming-xx-registrar")
    pupil = student_of("nanming-xx-registrar")
    case = flows("mistaken_deletion", student=pupil, by=registrar, reason="重复录入").case
    logins = set(session.scalars(select(User.username)))
    pages = _matrix(app) + [f"/students/{pupil.id}", f"/cases/{case.id}", f"/students/{pupil.id}/start/status_change"]
    shown = 0
    for u in one_user_per_kind:
        client = login_as(u.username)
        for path in pages:
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            text = _visible_text(body(response))
            assert not SPEC_ID.search(text), (u.username, path, SPEC_ID.search(text).group())
            leaked = [name for name in logins if name in text]
            assert not leaked or path.startswith(ACCOUNT_PAGES), (u.username, path, leaked)
            shown += 1
    assert shown > 100


def test_an_import_error_table_shows_no_rule_ids(login_as):
    from tests.test_student_import import xlsx
    from webapp.demo_rows import valid_row

    rows = [valid_row(n) for n in range(2)]
    rows[1]["distance_km"] = "1.25"
    rows[0]["sex"] = ""
    upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(xlsx(rows)), "a.xlsx")}
    client = login_as("nanming-xx-registrar")
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    text = _visible_text(body(page))  # the check job's page (the job ran inline: the web tests have no worker)
    assert "上下学距离" in text and not SPEC_ID.search(text)
    assert not SPEC_ID.search(_visible_text(body(client.get("/transfers/settings/"))))


def test_homeroom_teachers_are_named_not_logged_in_names(login_as):
    page = body(login_as("nanming-xx-registrar").get("/school/classes"))
    assert "nanming-xx-teacher" not in page and "南明第一小学班主任" in page


def test_transfer_settings_say_a_freeze_wins_and_live_under_system_settings(login_as, clock, monkeypatch):
    monkeypatch.setattr("webapp.transfer_settings.utcnow", lambda: clock.now)
    client = login_as("guizhou-province")
    home = body(client.get("/"))
    system = home[home.index("<summary>系统设置</summary>") :]
    assert 'href="/transfers/settings/"' in system[: system.index("</details>")]
    page = body(client.get("/transfers/settings/"))
    assert "冻结期优先" in page and "可以发起转学" in page  # 10 September: inside a window
    before = page.count('data-testid="overlap"')
    client.post(
        "/transfers/settings/",
        data={"action": "add_period", "kind": "window", "start_md": "07-01", "end_md": "07-31", "note": "暑期"},
    )
    page = body(client.get("/transfers/settings/"))
    assert page.count('data-testid="overlap"') == before + 1
    assert "与冻结期7月21日至8月14日重叠，重叠的日子不能发起" in page
    clock.set(2026, 7, 25)
    assert "冻结期" in body(client.get("/transfers/settings/")).split('data-testid="today">')[1].split("<")[0]


def test_overlapping_freezes_compare_periods_across_the_new_year():
    from models.business_calendar import Period, PeriodKind, overlapping_freezes

    winter = Period(PeriodKind.WINDOW, "12-15", "01-15", "")
    freezes = [Period(PeriodKind.FREEZE, "01-10", "01-20", ""), Period(PeriodKind.FREEZE, "02-01", "02-05", "")]
    assert overlapping_freezes(winter, freezes) == freezes[:1]
    assert overlapping_freezes(freezes[0], freezes) == []  # only windows lose days to a freeze


def test_the_case_page_shows_peoples_steps_and_folds_the_engines(login_as, student_of, flows, user):
    case = flows("mistaken_deletion", student=student_of(REGISTRAR), by=user(REGISTRAR), reason="重复录入").case
    page = body(login_as(REGISTRAR).get(f"/cases/{case.id}"))
    timeline = page[page.index('data-testid="timeline"') :]
    people, system = timeline.split('data-testid="system-steps"')
    assert people.count('<li class="list-group-item') == 1 and "状态：未处理" in people
    assert "检查申请条件" not in people and "检查申请条件" in system.split("</details>")[0]
    summary = page[page.index('data-testid="case-summary"') : page.index("</dl>")]
    assert f'href="/cases/{case.id}"' not in summary  # the page does not link to itself
    # The diagram follows both columns (full width), asking for the path taken to be drawn.
    diagram = page[page.index('data-testid="case-diagram"') :]
    assert page.index('data-testid="case-diagram"') > page.index('data-testid="system-steps"')
    assert 'data-path="true"' in diagram.split(">")[0]


def test_unknown_event_kinds_are_peoples_steps():
    from types import SimpleNamespace as E

    from webapp.filters import people_steps, system_steps

    events = [
        E(kind="started", state_label=""),
        E(kind="service", state_label=""),
        E(kind="state", state_label="待审核"),
        E(kind="returned", state_label=""),
        E(kind="state", state_label="已退回"),
        E(kind="comment", state_label=""),
    ]
    steps = people_steps(events)
    assert [s.event.kind for s in steps] == ["started", "returned", "comment"]
    assert [s.states for s in steps] == [["待审核"], ["已退回"], []]
    assert [e.kind for e in system_steps(events)] == ["service", "state", "state"]


@pytest.fixture
def transfer_requested(login_as, session, student_of, user, clock) -> None:
    response = request_transfer(login_as(REGISTRAR), session, student_of(SENDING), user)
    assert response.status_code == 302


def test_the_transfer_list_opens_on_the_tab_with_work_and_counts_it(login_as, transfer_requested):
    client = login_as("nanming-county")  # the receiving county reviews first
    page = body(client.get("/transfers/"))
    assert 'class="nav-link active" href="/transfers/?direction=in"' in page
    assert 'data-testid="tab-in-waiting" title="待我办理">1<' in page and "tab-out-waiting" not in page
    assert page.count('data-testid="awaiting-me"') == 1

    client = login_as(SENDING)
    assert 'data-testid="tab-out-waiting"' not in body(client.get("/transfers/"))  # nothing for it yet
    [task_id] = re.findall(r'href="/tasks/(\d+)"', body(login_as("nanming-county").get("/")))
    login_as("nanming-county").post(f"/tasks/{task_id}", data={"decision": "通过"})
    client = login_as(SENDING)
    page = body(client.get("/transfers/"))  # the sending school's review waits: the 转出 tab opens
    assert 'class="nav-link active" href="/transfers/?direction=out"' in page
    assert 'data-testid="tab-out-waiting" title="待我办理">1<' in page
    only_mine = body(client.get("/transfers/", query_string={"direction": "in", "mine": "1"}))
    assert "没有记录" in only_mine and "转出有 1 项待您办理" in only_mine
