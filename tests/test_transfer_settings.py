"""A province configures its transfer calendar, city-review rules and optional sending steps (F-30…F-33)."""

from __future__ import annotations

from models.business_calendar import periods
from models.org import Stage
from models.transfer_rules import TransferScope, city_review_needed, outbound_steps


def test_settings_are_for_province_users_only(login_as):
    assert login_as("guizhou-province").get("/transfers/settings/").status_code == 200
    assert login_as("guizhou-policy").get("/transfers/settings/").status_code == 200
    for other in ("nanming-county", "guiyang-city", "nanming-xx-registrar"):
        assert login_as(other).get("/transfers/settings/").status_code == 403


def test_a_province_adds_and_removes_a_freeze(login_as, session, user):
    client = login_as("guizhou-province")
    province_id = user("guizhou-province").org_id
    data = {"action": "add_period", "kind": "freeze", "start_md": "01-20", "end_md": "02-10", "note": "寒假"}
    assert client.post("/transfers/settings/", data=data).status_code == 302
    added = [p for p in periods(session, province_id, "transfer") if p.note == "寒假"]
    assert added and added[0].start_md == "01-20"
    page = client.get("/transfers/settings/").get_data(as_text=True)
    assert "寒假" in page
    bad = client.post("/transfers/settings/", data={**data, "start_md": "13-40"}, follow_redirects=True)
    assert "日期「13-40」格式不正确" in bad.get_data(as_text=True)


def test_the_rule_table_and_the_optional_sending_steps_can_be_changed(login_as, session, user):
    client = login_as("guizhou-province")
    province_id = user("guizhou-province").org_id
    assert city_review_needed(session, province_id, Stage.PRIMARY, TransferScope.CROSS_COUNTY) is False
    client.post(
        "/transfers/settings/", data={"action": "set_rule", "stage": "primary", "scope": "cross_county", "value": "1"}
    )
    assert city_review_needed(session, province_id, Stage.PRIMARY, TransferScope.CROSS_COUNTY) is True
    client.post("/transfers/settings/", data={"action": "set_outbound", "city": "on"})
    assert outbound_steps(session, province_id) == (True, False)
    # Beijing is untouched
    assert outbound_steps(session, user("beijing-province").org_id) == (False, False)
