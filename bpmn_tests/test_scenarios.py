"""Every stored scenario (processes/scenarios/*.json) passes on the published diagram: the same data policy
staff run against a draft before publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import scenarios
from engine.api import current_version

PROCESSES = Path(__file__).resolve().parents[1] / "processes"
STORED = [
    (path.stem, scenario)
    for path in sorted((PROCESSES / "scenarios").glob("*.json"))
    for scenario in json.loads(path.read_text(encoding="utf-8"))
]


@pytest.mark.parametrize(("process_key", "scenario"), STORED, ids=[f"{k}:{s['name']}" for k, s in STORED])
def test_stored_scenario_passes_on_the_published_diagram(connection, session, process_key, scenario):
    xml = current_version(session, process_key).bpmn_xml.encode()
    [result] = scenarios.run_all(connection, xml, f"{process_key}.bpmn", [scenario])
    assert result.passed, (result.message, result.trail)


def test_a_broken_diagram_fails_the_scenarios_and_nothing_is_kept(connection, session):
    from models.workflow import ProcessInstance

    source = (PROCESSES / "mistaken_deletion.bpmn").read_text(encoding="utf-8")
    broken = source.replace(
        '<bpmn:conditionExpression>decision == "删除"', '<bpmn:conditionExpression>decision == "批准"'
    )
    before = session.query(ProcessInstance).count()
    results = scenarios.run_all(
        connection, broken.encode(), "mistaken_deletion.bpmn", scenarios.load(PROCESSES, "mistaken_deletion")
    )
    assert [r.passed for r in results] == [False, True, False, True]
    assert "状态应为「已删除」，实际为「已驳回」" in results[0].message
    assert session.query(ProcessInstance).count() == before
    assert current_version(session, "mistaken_deletion").bpmn_xml == source
