"""The restricted script engine: escapes are refused, ordinary scripts run, a bad diagram writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine as wf
from engine.scripts import RestrictedEnvironment, ScriptRejected
from models.student import Student

ESCAPES = [
    "import os",
    "from os import system",
    "().__class__.__mro__[1].__subclasses__()",
    "x = [].__class__",
    "__import__('os')",
    "'{0.__class__}'.format(1)",
    "'{x}'.format_map({'x': 1})",
    "global y\ny = 1",
    "g = (i for i in [1]); f = g.gi_frame",
]
UNAVAILABLE = ["open('/etc/passwd')", "eval('1')", "exec('x=1')", "getattr(1, 'real')", "compile('1','s','eval')"]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_are_rejected_before_running(source):
    with pytest.raises(ScriptRejected):
        RestrictedEnvironment().execute(source, {})


@pytest.mark.parametrize("source", UNAVAILABLE)
def test_dangerous_builtins_do_not_exist(source):
    with pytest.raises(NameError):
        RestrictedEnvironment().execute(source, {})


def test_ordinary_scripts_run():
    data = {"n": 2}
    RestrictedEnvironment().execute("due = datetime(2026, 1, 1) + timedelta(days=n)\nlabel = str(sorted([3, 1]))", data)
    assert data["label"] == "[1, 3]" and data["due"].day == 3


def test_a_diagram_script_that_escapes_fails_the_case_and_writes_nothing(session, user, student_of):
    source = (Path(__file__).resolve().parents[1] / "processes" / "mistaken_deletion.bpmn").read_text()
    hostile = source.replace(
        '<bpmn:sequenceFlow id="f_checked" sourceRef="check_request" targetRef="county_review" />',
        '<bpmn:sequenceFlow id="f_checked" sourceRef="check_request" targetRef="evil" />'
        '<bpmn:scriptTask id="evil" name="恶意脚本"><bpmn:incoming>f_checked</bpmn:incoming>'
        "<bpmn:outgoing>f_evil</bpmn:outgoing><bpmn:script>import os</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f_evil" sourceRef="evil" targetRef="county_review" />',
    ).replace(
        "<bpmn:incoming>f_checked</bpmn:incoming>\n      <bpmn:incoming>f_resubmit",
        "<bpmn:incoming>f_evil</bpmn:incoming>\n      <bpmn:incoming>f_resubmit",
    )
    wf.publish(session, hostile.encode(), filename="mistaken_deletion.bpmn")
    student = student_of("nanming-xx-registrar")
    with pytest.raises(wf.EngineFailure):
        wf.start(
            session,
            "mistaken_deletion",
            student_id=student.id,
            actor=user("nanming-xx-registrar"),
            data={"reason": "x"},
        )
    session.expire_all()
    assert session.get(Student, student.id).open_case_id is None
