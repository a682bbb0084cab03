"""The engine writes a completion with Core statements (engine.store): the case's state with its other pending
changes in one version-checked UPDATE, a save that lost the race writes nothing, history in the order recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, event, select, update

import engine as wf
from engine import store
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus


@pytest.fixture
def review(flows, user, student_of):
    """A 误操作删除 case waiting at the county's review, and that row's id."""
    student = student_of("nanming-xx-registrar")
    case = flows("mistaken_deletion", student=student, by=user("nanming-xx-registrar"), reason="重复录入")
    return case.case.id, case.open_task("county_review").id


def _case_updates(connection: Connection) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE PROCESS_INSTANCE"):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    return seen


def test_a_handlers_pending_change_to_the_case_is_written_with_its_state(
    review, session, user, connection, monkeypatch
):
    case_id, task_id = review
    before = session.get_one(ProcessInstance, case_id).lock_version
    save = store.save

    def save_with_a_change(session_, instance, workflow):  # noqa: ANN001
        instance.summary = {**instance.summary, "warning": "测试"}  # as a handler changes the case (status_change)
        save(session_, instance, workflow)

    monkeypatch.setattr(store, "save", save_with_a_change)
    updates = _case_updates(connection)
    wf.complete(session, task_id, actor=user("nanming-county"), data={"decision": "驳回", "review_comment": "测试"})
    assert len(updates) == 1, updates
    session.expire_all()
    case = session.get_one(ProcessInstance, case_id)
    assert case.summary["warning"] == "测试"
    assert case.lock_version == before + 1
    assert case.state_label == "已驳回"


def test_a_save_that_lost_the_race_writes_nothing(review, session, user, connection, monkeypatch):
    case_id, task_id = review
    events = session.scalar(
        select(InstanceEvent.id).where(InstanceEvent.instance_id == case_id).order_by(-InstanceEvent.id)
    )
    load = store.load

    def load_then_another_save(instance):  # noqa: ANN001
        # Another transaction saved the case after this one read it (the case lock normally prevents it).
        connection.execute(update(ProcessInstance).where(ProcessInstance.id == case_id).values(lock_version=99))
        return load(instance)

    monkeypatch.setattr(store, "load", load_then_another_save)
    with pytest.raises(wf.TaskAlreadyHandled):
        wf.complete(session, task_id, actor=user("nanming-county"), data={"decision": "驳回", "review_comment": "测试"})
    session.expire_all()
    assert session.get_one(InboxTask, task_id).status == TaskStatus.OPEN
    assert session.get_one(ProcessInstance, case_id).state_label != "已驳回"
    last = session.scalar(
        select(InstanceEvent.id).where(InstanceEvent.instance_id == case_id).order_by(-InstanceEvent.id)
    )
    assert last == events


def test_history_keeps_the_order_recorded(review, session, user):
    """The county's decision, then what the engine did after it (删除: the service step and the end)."""
    case_id, task_id = review
    wf.complete(session, task_id, actor=user("nanming-county"), data={"decision": "删除", "review_comment": "测试"})
    kinds = session.scalars(
        select(InstanceEvent.kind).where(InstanceEvent.instance_id == case_id).order_by(InstanceEvent.id)
    ).all()
    assert kinds == ["started", "service", "state", "task", "service", "ended"]
