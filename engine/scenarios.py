"""Scenarios: a flow's paths kept as data (``processes/scenarios/<flow>.json``), run against a diagram.

bpmn_tests run them against the published diagrams; policy staff run them against a draft before publishing.
A run happens inside a transaction that is always rolled back: nothing it does is kept. Each step is done by a
user holding the seat of the task, with the data validated through the task's form, as the web would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine import api, store
from forms.base import TaskForm
from models.errors import DomainError
from models.student import Student, StudentStatus
from models.user import User, UserRole
from models.workflow import CaseStatus, InboxTask, InstanceEvent, ProcessInstance, TaskStatus


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    passed: bool
    message: str
    trail: list[str] = field(default_factory=list)
    # Where the case went, for playing it on the diagram: the steps it passed and the ones it waits at.
    done: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)


class ScenarioFailed(Exception):
    pass


def load(directory: Path, process_key: str) -> list[dict[str, Any]]:
    path = directory / "scenarios" / f"{process_key}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def run_all(connection: Connection, xml: bytes, filename: str, scenarios: list[dict[str, Any]]) -> list[ScenarioResult]:
    """Publish ``xml`` and play every scenario on it, then roll everything back."""
    outer = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            api.publish(session, xml, filename=filename)
            return [_play(session, Path(filename).stem, scenario) for scenario in scenarios]
    finally:
        outer.rollback()


def _play(session: Session, process_key: str, scenario: dict[str, Any]) -> ScenarioResult:
    trail: list[str] = []
    case: ProcessInstance | None = None
    try:
        case = _start(session, process_key, scenario["start"], trail)
        for step in scenario.get("steps", []):
            _step(session, case, step, trail)
        _check(session, case, scenario.get("expect", {}))
    except (ScenarioFailed, DomainError) as failure:
        message = failure.message if isinstance(failure, DomainError) else str(failure)
        return ScenarioResult(scenario["name"], False, message, trail, *_path(session, case))
    return ScenarioResult(scenario["name"], True, "通过", trail, *_path(session, case))


def _path(session: Session, case: ProcessInstance | None) -> tuple[list[str], list[str]]:
    """The diagram elements the case passed (its history) and those it waits at (its open tasks)."""
    if case is None:
        return [], []
    done = session.scalars(
        select(InstanceEvent.bpmn_id).where(InstanceEvent.instance_id == case.id, InstanceEvent.bpmn_id.is_not(None))
    )
    current = session.scalars(
        select(InboxTask.bpmn_id).where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
    )
    return sorted({i for i in done if i}), sorted(set(current))


def _form_data(
    form_cls: type[TaskForm], data: dict[str, Any], session: Session, actor: User
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    form = form_cls(data=data)
    form.scope(session, actor)  # the pickers of designed forms answer for the scenario's acting user
    if not form.validate():
        raise ScenarioFailed(f"表单「{form.title or form.key}」未通过校验：{form.errors}")
    return form.to_task_data(), form.display_lines()


def _start(session: Session, process_key: str, start: dict[str, Any], trail: list[str]) -> ProcessInstance:
    row = session.execute(
        select(Student, User)
        .join(User, User.org_id == Student.school_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == start["role"], Student.status == StudentStatus.IN_SCHOOL, Student.open_case_id.is_(None)
        )
        .order_by(Student.id)
        .limit(1)
    ).first()
    if row is None:
        raise ScenarioFailed(f"找不到可以发起业务的「{start['role']}」用户及其在校学生")
    student, user = row
    form_key = api.start_form_key(session, process_key)
    version = api.current_version(session, process_key)
    data, display = (
        _form_data(store.form_class(version, form_key), start.get("data", {}), session, user)
        if form_key
        else (start.get("data", {}), [])
    )
    case = api.start(session, process_key, student_id=student.id, actor=user, data=data, display=display)
    trail.append(f"发起：{user.full_name}，状态「{case.state_label}」")
    return case


def _step(session: Session, case: ProcessInstance, step: dict[str, Any], trail: list[str]) -> None:
    task = session.scalars(
        select(InboxTask).where(
            InboxTask.instance_id == case.id, InboxTask.bpmn_id == step["task"], InboxTask.status == TaskStatus.OPEN
        )
    ).first()
    if task is None:
        raise ScenarioFailed(f"步骤「{step['task']}」没有待办任务（当前状态「{case.state_label}」）")
    actor = session.scalars(
        select(User).join(UserRole).where(User.org_id == task.org_id, UserRole.role == task.role, User.active).limit(1)
    ).first()
    if actor is None:
        raise ScenarioFailed(f"没有可以办理「{task.title}」的用户")
    data, display = _form_data(store.form_class(case.version, task.form_key), step.get("data", {}), session, actor)
    api.complete(session, task.id, actor=actor, data=data, display=display)
    session.refresh(case)
    trail.append(f"{task.title}：{actor.full_name}，状态「{case.state_label}」")


def _check(session: Session, case: ProcessInstance, expect: dict[str, Any]) -> None:
    session.refresh(case)
    problems = []
    if "state" in expect and case.state_label != expect["state"]:
        problems.append(f"状态应为「{expect['state']}」，实际为「{case.state_label}」")
    if "ended" in expect and (case.status != CaseStatus.OPEN) != expect["ended"]:
        problems.append("业务应已办结" if expect["ended"] else "业务不应办结")
    if "waiting" in expect:
        waiting = sorted(
            session.scalars(
                select(InboxTask.bpmn_id).where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
            )
        )
        if waiting != sorted(expect["waiting"]):
            problems.append(f"待办步骤应为 {expect['waiting']}，实际为 {waiting}")
    if "student_status" in expect and case.student is not None:
        session.refresh(case.student)
        if case.student.status != expect["student_status"]:
            label = StudentStatus(expect["student_status"]).label
            problems.append(f"学籍状态应为「{label}」，实际为「{case.student.status_label}」")
    if problems:
        raise ScenarioFailed("；".join(problems))
