"""Persistence of workflows: the spec once per published version, the instance state without it.

After every engine run ``save`` writes the state, the case status and state label, the timer due time and
the inbox rows, all in the caller's transaction (spiffworkflow.md §9; pitfall 13: the inbox is always
re-derived from the workflow, never patched by hand).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Integer, Update, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

import forms
from engine import notify, seats
from engine.scripts import SCRIPT_ENGINE
from forms.base import TaskForm
from models.base import utcnow
from models.business_calendar import WorkingCalendar
from models.exchange import ExchangeMessage
from models.holidays import working_calendar
from models.student import Student
from models.user import User
from models.workbench import NoticeKind
from models.workflow import (
    CaseStatus,
    InboxTask,
    ProcessInstance,
    ProcessVersion,
    TaskKind,
    TaskStatus,
    written_now,
)


class _StateOnlyConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow ships no types: its classes are Any
    """Instance state without the spec: the spec is stored once per version and put back on load."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _serializer(state_only: bool) -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)  # a module-level dict: copy, never mutate
    if state_only:
        config[BpmnWorkflow] = _StateOnlyConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda d: {"value": d.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return BpmnWorkflowSerializer(registry)


SPEC_SERIALIZER = _serializer(state_only=False)
STATE_SERIALIZER = _serializer(state_only=True)


def spec_to_json(
    spec: Any, subprocess_specs: dict[str, Any], designed: dict[str, dict[str, Any]] | None = None
) -> tuple[str, str]:
    """Serialised spec (with the forms the diagram designs) and its hash; the hash ignores layout, so a
    formatting-only change is no new version, while a changed designed form is one."""
    blob: dict[str, Any] = {
        "spec": SPEC_SERIALIZER.to_dict(spec),
        "subprocess_specs": {k: SPEC_SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
    }
    if designed:  # only then: a diagram without designed forms keeps the hash it always had
        blob["forms"] = designed
    text = json.dumps(blob, sort_keys=True, ensure_ascii=False)
    return text, hashlib.sha256(text.encode()).hexdigest()


# Parsed specs and designed forms by (version id, spec hash): the hash names the spec's content, so a hit needs
# neither the stored JSON (hundreds of kB, left unread by ``engine.api``'s case lock) nor parsing it, and another
# database with the same version id (tests, benches) cannot be served a stale spec.
_SPECS: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
_FORMS: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}
_CACHED = 256
T = TypeVar("T")


def _remember(cache: dict[tuple[int, str], T], version: ProcessVersion, parse: Callable[[str], T]) -> T:
    key = (version.id, version.spec_hash)
    found = cache.get(key)
    if found is None:
        if len(cache) >= _CACHED:
            cache.clear()
        found = cache[key] = parse(version.spec_json)
    return found


def _parse_specs(spec_json: str) -> tuple[Any, dict[str, Any]]:
    blob = json.loads(spec_json)
    return (
        SPEC_SERIALIZER.from_dict(blob["spec"]),
        {k: SPEC_SERIALIZER.from_dict(v) for k, v in blob["subprocess_specs"].items()},
    )


def _parse_forms(spec_json: str) -> dict[str, dict[str, Any]]:
    forms: dict[str, dict[str, Any]] = json.loads(spec_json).get("forms", {})
    return forms


def spec_for(version: ProcessVersion) -> tuple[Any, dict[str, Any]]:
    return _remember(_SPECS, version, _parse_specs)


def designed_forms(version: ProcessVersion) -> dict[str, dict[str, Any]]:
    """The forms the version's diagram designs (forms.designed), by key, as published."""
    return _remember(_FORMS, version, _parse_forms)


def form_class(version: ProcessVersion, key: str) -> type[TaskForm]:
    """The form a ``formKey`` of this version names: hand-written, or designed in the version's diagram."""
    return forms.form_class(key, designed_forms(version))


def new_workflow(version: ProcessVersion) -> BpmnWorkflow:
    spec, subprocess_specs = spec_for(version)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)


def load(instance: ProcessInstance) -> BpmnWorkflow:
    dct = json.loads(instance.state_json)
    STATE_SERIALIZER.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = spec_for(instance.version)
    workflow = STATE_SERIALIZER.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE  # never restored by the serializer (pitfall 2)
    return workflow


def properties(task_spec: Any) -> dict[str, str]:
    found: dict[str, str] = getattr(task_spec, "extensions", {}).get("properties", {})
    return found


def effective_lane(task: Any) -> str | None:
    """A task in a called process without lanes takes the lane of the calling activity (pitfall 10)."""
    lane: str | None = task.task_spec.lane
    workflow = task.workflow
    while lane is None and workflow.parent_task_id is not None:
        caller = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        lane, workflow = caller.task_spec.lane, caller.workflow
    return lane


def next_timer_due(workflow: BpmnWorkflow) -> datetime | None:
    due = [
        TimerEventDefinition.get_datetime(e.value)
        for e in workflow.waiting_events()
        # timeDuration/timeCycle timers are "…TimerEventDefinition"; a timeDate timer is "TimeDateEventDefinition".
        if (e.event_type.endswith("TimerEventDefinition") or e.event_type == "TimeDateEventDefinition")
        and isinstance(e.value, str)
    ]
    return min(due) if due else None


def case_state(workflow: BpmnWorkflow, previous: str, waiting: list[Any] | None = None) -> str:
    """The label users read: the ``caseState`` of the waiting task, or of the end event reached. ``waiting``:
    ``waiting_for_people(workflow)`` when the caller has it."""
    if workflow.is_completed():
        ends = workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
        ends.sort(key=lambda t: t.last_state_change)
        labels = [properties(t.task_spec).get("caseState") for t in ends]
        return next((label for label in reversed(labels) if label), previous)
    for task in waiting_for_people(workflow) if waiting is None else waiting:
        label = properties(task.task_spec).get("caseState")
        if label:
            return label
        if isinstance(task.task_spec, StartEvent):
            return RETURNED_TO_INITIATOR
    return previous


RETURNED_TO_INITIATOR = "已退回发起人"


def waiting_for_people(workflow: BpmnWorkflow) -> list[Any]:
    """The READY user tasks, and the start event when a case was sent back to its initiator's form (退回): a READY
    start event is not ``manual``, yet it waits for the initiator like a user task."""
    ready = workflow.get_tasks(state=TaskState.READY)  # one walk of the task tree (the filter does not prune it)
    starts = [
        t
        for t in ready
        if isinstance(t.task_spec, StartEvent) and t.workflow is workflow and properties(t.task_spec).get("formKey")
    ]
    return starts + [t for t in ready if t.task_spec.manual]


def save(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    awaited = _collect_messages(session, instance, workflow)  # before serialising: get_events() empties the queue
    waiting = waiting_for_people(workflow)
    case: dict[str, Any] = {
        "waiting_for": awaited,
        "state_json": STATE_SERIALIZER.serialize_json(workflow),
        "next_timer_at": next_timer_due(workflow),
        "state_label": case_state(workflow, instance.state_label, waiting),
    }
    closing = workflow.is_completed() and instance.status == CaseStatus.OPEN
    if closing:
        case.update(_closed(CaseStatus.COMPLETED))
    _write_case(session, instance, case)
    _sync_inbox(session, instance, workflow, waiting)
    if closing:
        _free_student(session, instance)


def cancel(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, state_label: str) -> None:
    workflow.cancel()
    case = {
        "state_json": STATE_SERIALIZER.serialize_json(workflow),
        "next_timer_at": None,
        "state_label": state_label,
        **_closed(CaseStatus.CANCELLED),
    }
    _write_case(session, instance, case)
    _sync_inbox(session, instance, workflow)
    _free_student(session, instance)


def _closed(status: CaseStatus) -> dict[str, Any]:
    return {"status": status, "ended_at": utcnow()}


def _free_student(session: Session, instance: ProcessInstance) -> None:
    if instance.student_id is not None:
        student = session.get_one(Student, instance.student_id)
        if student.open_case_id == instance.id:
            student.open_case_id = None


_CASES = ProcessInstance.__table__
_CASE_COLUMNS = frozenset(attr.key for attr in ProcessInstance.__mapper__.column_attrs)


@cache
def _case_update(keys: tuple[str, ...]) -> Update:
    """The UPDATE of these columns with the version check, built once per set of columns (building a statement
    costs about as much CPU as running it)."""
    return (
        update(_CASES)
        .where(_CASES.c.id == bindparam("case_id"), _CASES.c.lock_version == bindparam("old_version"))
        .values({key: bindparam(f"v_{key}", type_=_CASES.c[key].type) for key in keys})
        .values(lock_version=_CASES.c.lock_version + 1)
    )


def _write_case(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """Write ``values`` (column → value) to the case, with the case's other pending column changes (a handler's),
    in one Core UPDATE that checks and bumps ``lock_version`` as the ORM's would (a concurrent save raises
    ``StaleDataError``); the case object then holds them as committed, so the commit has nothing of it to flush.
    Going through the ORM's flush cost several times the statement's own CPU. A case not yet inserted, or with a
    relationship changed (a migration sets ``version``), is left to the ORM as before."""
    state = inspect(instance)
    pending = state.committed_state
    if state.key is None or state.session is not session or not _CASE_COLUMNS.issuperset(pending):
        for key, value in values.items():
            setattr(instance, key, value)
        return
    values = {**{key: getattr(instance, key) for key in pending}, **values}
    version = instance.lock_version
    params = {f"v_{key}": value for key, value in values.items()}
    written = written_now(session).execute(
        _case_update(tuple(sorted(values))), {**params, "case_id": instance.id, "old_version": version}
    )
    if written.rowcount != 1:
        raise StaleDataError(f"UPDATE of process_instance {instance.id} matched {written.rowcount} rows, not 1")
    for key, value in values.items():
        set_committed_value(instance, key, value)
    set_committed_value(instance, "lock_version", version + 1)
    if not state.committed_state:  # nothing left for a flush: as a flush leaves a written object
        state._commit_all(state.dict, session.identity_map)


def _due_at(instance: ProcessInstance, task: Any, calendar: Callable[[], WorkingCalendar]) -> datetime | None:
    """A timer's due time, else the task's service level (property ``dueWorkingDays``, e.g. 10 for transfers)
    counted on the national holiday calendar."""
    days = properties(task.task_spec).get("dueWorkingDays", "")
    if instance.next_timer_at is None and days.isdigit():
        return calendar().working_days_later(utcnow(), int(days))
    return instance.next_timer_at


class _Row(Protocol):
    """An open inbox row as ``_sync_inbox`` reads it: the ORM object when the session holds one, else its columns."""

    id: int
    task_uuid: str | None
    kind: TaskKind
    parent_id: int | None


_TASKS = InboxTask.__table__
_OPEN_ROWS = select(_TASKS.c.id, _TASKS.c.task_uuid, _TASKS.c.kind, _TASKS.c.parent_id).where(
    _TASKS.c.instance_id == bindparam("instance_id", type_=Integer), _TASKS.c.status == TaskStatus.OPEN
)


def _open_rows(session: Session, instance: ProcessInstance) -> list[_Row]:
    """The case's open rows as a flush would leave them, without that flush: a row the session holds counts with
    its unflushed status, and new and deleted rows are counted, so the changes of this save go to the database
    with the rows it adds. Rows the session does not hold are read as columns only (no ORM objects to build)."""
    held = session.identity_map
    stored: list[_Row] = []
    for found in written_now(session).execute(_OPEN_ROWS, {"instance_id": instance.id}):
        obj = held.get(identity_key(InboxTask, found.id))
        # An object expired by an earlier commit holds no change: the columns read stand for it.
        stored.append(obj if obj is not None and "status" in obj.__dict__ else found)
    added = [
        obj
        for obj in session.new
        if isinstance(obj, InboxTask) and (obj.instance_id == instance.id or obj.__dict__.get("instance") is instance)
    ]
    changed = [obj for obj in session.dirty if isinstance(obj, InboxTask) and obj.instance_id == instance.id]
    rows = dict.fromkeys([*stored, *added, *changed])
    return [
        row
        for row in rows
        if not isinstance(row, InboxTask) or (row.status == TaskStatus.OPEN and row not in session.deleted)
    ]


_DONE_ROW = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("row_id"))
    .values(status=TaskStatus.DONE, completed_at=bindparam("at"), completed_by_id=bindparam("by"))
)


def mark_done(session: Session, row: InboxTask, by: User) -> None:
    """The row completed by ``by``, written at once in one Core UPDATE and held by the row object as committed
    (nothing of it left for a flush)."""
    now = utcnow()
    written_now(session).execute(_DONE_ROW, {"row_id": row.id, "at": now, "by": by.id})
    set_committed_value(row, "status", TaskStatus.DONE)
    set_committed_value(row, "completed_at", now)
    set_committed_value(row, "completed_by_id", by.id)


_CANCEL_ROWS = (
    update(_TASKS)
    .where(_TASKS.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=TaskStatus.CANCELLED, completed_at=bindparam("at"))
)
_ADD_ROW = insert(_TASKS).returning(_TASKS.c.id)


def _sync_inbox(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, waiting: list[Any] | None = None
) -> None:
    ready = {str(t.id): t for t in (waiting_for_people(workflow) if waiting is None else waiting)}
    open_rows = _open_rows(session, instance)
    known = {row.task_uuid for row in open_rows if row.kind == TaskKind.TASK}
    gone = {row.id for row in open_rows if row.kind == TaskKind.TASK and row.task_uuid not in ready}
    now = utcnow()
    cancelled: list[int] = []
    for row in open_rows:
        # A task completed elsewhere, cancelled by a boundary event, sent back or migrated; and 加签 rows of it.
        if row.id in gone or row.parent_id in gone:
            if isinstance(row, InboxTask):
                row.status, row.completed_at = TaskStatus.CANCELLED, now
            else:
                cancelled.append(row.id)
    if cancelled:
        written_now(session).execute(_CANCEL_ROWS, {"ids": cancelled, "at": now})
    calendar = cache(lambda: working_calendar(session))  # read once per save, and only if a due date needs it
    for task_uuid, task in ready.items():
        if task_uuid in known:
            continue
        lane = effective_lane(task)
        if lane is None:
            raise LookupError(f"user task {task.task_spec.bpmn_id} has no lane")
        seat, locked = seats.resolve(session, instance, lane)
        returned = task.internal_data.get("returned") or {}  # set by engine.returns when the task was sent back
        values = {
            "task_uuid": task_uuid,
            "instance_id": instance.id,
            "process_key": instance.process_key,
            "bpmn_id": task.task_spec.bpmn_id,
            "title": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            "lane": lane,
            "org_id": seat.org_id,
            "role": seat.role.value,
            "school_id": instance.org_id,
            "form_key": properties(task.task_spec).get("formKey", ""),
            "due_at": _due_at(instance, task, calendar),
            "locked": locked,
            "notice": returned.get("notice", ""),
            "draft": returned.get("prefill"),
            "claimed_by_id": returned.get("holder_id"),
            "claimed_at": now if returned.get("holder_id") else None,
            "created_at": now,
        }
        # One Core INSERT: the row is read back by whoever needs it, no ORM object is built for it.
        row_id = written_now(session).execute(_ADD_ROW, values).scalar_one()
        seats.add_party(session, instance, seat.org_id)
        notify.task_arrived(
            session,
            notify.Arrived(
                row_id,
                instance.id,
                instance.title,
                values["title"],
                seat.org_id,
                seat.role.value,
                values["claimed_by_id"],
            ),
            NoticeKind.RETURNED if returned else NoticeKind.NEW_TASK,
        )


MESSAGE = "MessageEventDefinition"


OUTBOX_WRITTEN = "xueji_outbox_written"


def outbox_written(session: Session) -> bool:
    """Whether the session's last transaction queued a message (and forget it): only then is a delivery pass due."""
    return bool(session.info.pop(OUTBOX_WRITTEN, False))


def _collect_messages(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> str:
    """Queue the messages the workflow threw (``get_events`` empties the queue: pitfall 6); returns what it now
    waits for (``waiting_for``, indexed for delivery)."""
    for thrown in workflow.get_events():
        definition = thrown.event_definition
        if isinstance(definition, MessageEventDefinition):
            session.info[OUTBOX_WRITTEN] = True
            session.add(
                ExchangeMessage(
                    name=definition.name,
                    correlation=instance.correlation_key or "",
                    payload=dict(thrown.payload or {}),
                    sender_instance_id=instance.id,
                )
            )
    return " ".join(sorted(_awaited_messages(workflow)))


def _awaited_messages(workflow: BpmnWorkflow) -> set[str]:
    names = {e.name for e in workflow.waiting_events() if e.event_type == MESSAGE and e.name}
    # An event-based gateway waits on several events at once; its pending event has no name of its own.
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        for part in getattr(definition, "event_definitions", None) or [definition]:
            if isinstance(part, MessageEventDefinition):
                names.add(part.name)
    return names
