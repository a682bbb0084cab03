"""What users typed is shown as text on every page: a student's name, a request's reason, a reviewer's comment, a
diagram's labels and an uploaded file's name, each stored with markup in it, never reach a page as markup."""

from __future__ import annotations

from xml.sax.saxutils import escape

from sqlalchemy import select

import engine as wf
from models.attachment import store_upload
from models.student import Student
from models.workflow import InboxTask
from tests.access_matrix import ROUTES
from webapp.config import ROOT


def hostile(field: str) -> str:
    """Markup that would run if a page let it through; ``field`` tells which stored value it was."""
    return f"<script>xj_{field}()</script><img src=x onerror=xj_{field}>"


def escaped(field: str) -> str:
    return f"&lt;script&gt;xj_{field}()&lt;/script&gt;"


FIELDS = ("name", "reason", "comment", "label", "file")


def test_stored_input_is_escaped_on_every_page(session, flows, user, student_of, login_as, app):
    registrar, county = user("nanming-xx-registrar"), user("nanming-county")
    _publish_with_hostile_labels(session)
    pupil = student_of("nanming-xx-registrar")
    pupil.name = hostile("name")[:50]
    session.commit()
    rejected = flows("mistaken_deletion", student=pupil, by=registrar, reason=hostile("reason"))
    rejected.submit("county_review", by=county, decision="驳回", review_comment=hostile("comment"))
    case = rejected.case
    upload = store_upload(
        session, student_id=pupil.id, user=registrar, filename=hostile("file") + ".pdf", data=b"%PDF-1"
    )
    upload.instance_id = case.id
    session.commit()
    task = session.scalars(select(InboxTask).where(InboxTask.instance_id == case.id)).all()

    pages = [url for url in _plain_pages(app)] + [
        f"/students/{pupil.id}",
        f"/cases/{case.id}",
        f"/students/?q={pupil.id_doc_number}",
        "/cases/mine",
        "/lifecycle/pending",
        *(f"/tasks/{t.id}" for t in task),
    ]
    shown: set[str] = set()
    for username in ("nanming-xx-registrar", "nanming-county", "guizhou-policy"):
        client = login_as(username)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = response.get_data(as_text=True)
            assert "<script>xj_" not in page and "<img src=x onerror" not in page, (username, url)
            shown |= {field for field in FIELDS if escaped(field) in page}
    assert shown == set(FIELDS), f"never shown (the test proves nothing for them): {set(FIELDS) - shown}"


def _publish_with_hostile_labels(session) -> None:
    """Diagram labels reach the pages as the names of the flow, its tasks and its states: a new version of 误操作删除
    whose policy officer typed markup into them."""
    label = escape(hostile("label")[:50], {'"': "&quot;"})
    xml = (ROOT / "processes" / "mistaken_deletion.bpmn").read_text(encoding="utf-8")
    for name in ('name="误操作删除"', 'name="误操作删除核办"', 'value="未处理"', 'value="已驳回"'):
        attribute = name.split("=")[0]
        xml = xml.replace(name, f'{attribute}="{label}"', 1)
    wf.publish(session, xml.encode(), filename="mistaken_deletion.bpmn")
    session.commit()


def _plain_pages(app) -> list[str]:
    """Every page of the app that takes no argument in its URL."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.arguments
        and rule.endpoint in ROUTES  # an unclassified one fails the access matrix
        and not ROUTES[rule.endpoint].public
    )


def test_a_student_list_keeps_markup_as_text(session, login_as, student_of):
    pupil: Student = student_of("nanming-xx-registrar")
    pupil.name = '"><svg onload=xj()>'
    session.commit()
    page = login_as("nanming-xx-registrar").get(f"/students/?q={pupil.id_doc_number}").get_data(as_text=True)
    assert "<svg onload" not in page and "&#34;&gt;&lt;svg onload=xj()&gt;" in page
