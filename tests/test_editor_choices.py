"""The draft editor's choice lists: one JSON endpoint per list, read from the application, for policy staff only."""

from __future__ import annotations

import pytest

from forms import FORMS
from handlers import HANDLERS
from models import codes

CHOICES = ["forms", "lanes", "handlers", "states", "verbs", "codes"]
OTHERS = [
    "nanming-xx-registrar",
    "nanming-xx-reviewer",
    "nanming-county",
    "guiyang-city",
    "guizhou-province",
    "national",
]


@pytest.mark.parametrize("name", CHOICES)
def test_each_choice_list_refuses_users_who_may_not_edit_diagrams(client, login_as, name):
    assert client.get(f"/processes/choices/{name}.json").status_code == 302  # anonymous: to the login page
    for username in OTHERS:
        response = login_as(username).get(f"/processes/choices/{name}.json")
        assert response.status_code == 403, username
        assert response.mimetype != "application/json"
    assert login_as("guizhou-policy").get(f"/processes/choices/{name}.json").status_code == 200


def test_forms_list_every_form_with_its_title_and_the_variables_it_writes(login_as):
    forms = {f["key"]: f for f in login_as("guizhou-policy").get("/processes/choices/forms.json").json}
    assert set(forms) == set(FORMS)
    review = forms["key_data_change.review"]
    assert review["title"] == FORMS["key_data_change.review"].title
    assert review["variables"] == ["decision", "comment"]
    assert review["choices"] == {"decision": ["通过", "不通过"]}


def test_lanes_handlers_verbs_and_state_labels_come_from_the_application(login_as, flows):
    client = login_as("guizhou-policy")
    assert "市级" in client.get("/processes/choices/lanes.json").json
    handlers = {h["name"]: h for h in client.get("/processes/choices/handlers.json").json}
    assert set(handlers) == set(HANDLERS)
    assert handlers["keydata.apply"]["parameters"] == [
        {"name": "student_id", "type": "int", "required": True},
        {"name": "changes", "type": "dict", "required": True},
    ]
    assert handlers["keydata.check_request"]["repeatable"] is True
    verbs = client.get("/processes/choices/verbs.json").json
    assert "退回" in verbs["verbs"] and verbs["escalations"] == ["上级", "通知"]
    states = client.get("/processes/choices/states.json").json
    assert {"待市级审核", "审核通过", "待区县审核"} <= set(states)


def test_code_tables_are_appendix_a_with_stored_values_and_shown_labels(login_as):
    tables = {t["name"]: t for t in login_as("guizhou-policy").get("/processes/choices/codes.json").json}
    assert tables["sex"]["title"] == "性别"
    assert tables["sex"]["values"] == [{"value": "1", "label": "男"}, {"value": "2", "label": "女"}]
    assert [v["value"] for v in tables["ethnicity"]["values"]] == list(codes.ETHNICITIES)
    assert {"value": "A", "label": "护照"} in tables["id_doc_type"]["values"]
