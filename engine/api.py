"""What the rest of XueJi asks of the workflow engine: publish, start, complete, tick (and, re-exported from
``engine.exchange``, deliver and relay).

Each call is one database transaction, committed here: workflow state, inbox rows, case parties, history and
every registry change made by handlers commit together or not at all (architecture.md §4).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engine import checks, deadlines, notify, refusals, store
from engine.exchange import deliver, relay
from engine.registry import given
from engine.runner import EngineFailure, record_event, run_engine
from engine.verbs import TaskAlreadyHandled, acting_on
from forms import designed as designed_forms
from models.base import utcnow
from models.errors import DomainError, NotFound
from models.service_tasks import HandlerContext
from models.student import Student
from models.user import User
from models.workbench import NoticeKind
from models.workflow import (
    CaseParty,
    CaseStatus,
    InboxTask,
    ProcessInstance,
    ProcessVersion,
    TaskKind,
    TaskStatus,
)

log = logging.getLogger(__name__)

Display = Sequence[tuple[str, str]]


CANCELLED_LABEL = "已撤销"  # §4.4 cancelled (撤销 / 在办业务清理)


class PublishRefused(DomainError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("流程图未通过校验：" + "；".join(problems))


# -- publishing -------------------------------------------------------------------------------------------

SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def refuse_hostile(xml: bytes, filename: str) -> None:
    """A BPMN file never needs a DOCTYPE: refusing one stops external entities and XML bombs unread."""
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise PublishRefused([f"{filename}：不接受包含 DOCTYPE 或实体声明的文件"])


def parse_bpmn(xml: bytes, filename: str) -> SpiffBpmnParser:
    """Parse and XSD-validate one file; a DOCTYPE (entities, XML bombs) is refused before parsing."""
    refuse_hostile(xml, filename)
    try:
        tree = etree.fromstring(xml, parser=SAFE_XML)
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_xml(tree, filename=filename)
    except etree.XMLSyntaxError as exc:
        raise PublishRefused([f"{filename}：不是有效的 XML（{exc}）"]) from exc
    except ValidationException as exc:
        raise PublishRefused([refusals.of_engine(exc, filename)]) from exc
    except refusals.PARSER_CRASHES as exc:
        raise PublishRefused([refusals.of_crash(exc, filename)]) from exc
    return parser


def compile_diagram(xml: bytes, filename: str) -> tuple[str, Any, dict[str, Any], dict[str, dict[str, Any]]]:
    """Parse, XSD-validate and check a diagram (process id = file stem); ``PublishRefused`` lists every problem.
    Returns the process key, its specs and the forms the diagram designs (forms.designed) by key."""
    process_key = Path(filename).stem
    parser = parse_bpmn(xml, filename)
    if process_key not in parser.get_process_ids():
        raise PublishRefused([refusals.missing_process(filename, process_key, parser.process_parsers)])
    try:
        spec = parser.get_spec(process_key)
        subprocess_specs = parser.get_subprocess_specs(process_key)
    except ValidationException as exc:
        raise PublishRefused([refusals.of_engine(exc, filename)]) from exc
    except refusals.PARSER_CRASHES as exc:
        raise PublishRefused([refusals.of_crash(exc, filename)]) from exc
    process = parser.get_process_parser(process_key).node
    designed, form_problems = designed_forms.read(process)
    found = form_problems + checks.problems(spec, subprocess_specs, designed) + checks.unreachable(process, spec)
    if found:
        raise PublishRefused(found)
    return process_key, spec, subprocess_specs, designed


def publish(session: Session, xml: bytes, *, filename: str, by: User | None = None, note: str = "") -> ProcessVersion:
    """Publish a diagram. An unchanged spec (layout or whitespace edits) returns the version already stored."""
    process_key, spec, subprocess_specs, designed = compile_diagram(xml, filename)
    spec_json, spec_hash = store.spec_to_json(spec, subprocess_specs, designed)
    version = session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key, ProcessVersion.spec_hash == spec_hash)
    )
    if version is None:
        last = (
            session.scalar(select(func.max(ProcessVersion.version_no)).where(ProcessVersion.process_key == process_key))
            or 0
        )
        version = ProcessVersion(
            process_key=process_key,
            name=spec.description or process_key,
            version_no=last + 1,
            spec_hash=spec_hash,
            bpmn_xml=xml.decode("utf-8"),
            spec_json=spec_json,
            published_by_id=by.id if by else None,
            note=note,
        )
        session.add(version)
    session.execute(update(ProcessVersion).where(ProcessVersion.process_key == process_key).values(is_current=False))
    session.flush()
    version.is_current = True
    session.commit()
    return version


def publish_directory(session: Session, directory: Path, by: User | None = None) -> list[ProcessVersion]:
    return [publish(session, path.read_bytes(), filename=path.name, by=by) for path in sorted(directory.glob("*.bpmn"))]


def current_version(session: Session, process_key: str) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key, ProcessVersion.is_current)
    )
    if version is None:
        raise DomainError(f"流程「{process_key}」尚未发布")
    return version


def published_flows(session: Session) -> dict[str, str]:
    """Process key → name of every flow with a current version (for filters and menus)."""
    rows = session.execute(
        select(ProcessVersion.process_key, ProcessVersion.name)
        .where(ProcessVersion.is_current)
        .order_by(ProcessVersion.process_key)
    )
    return {key: name for key, name in rows}


def start_form_key(session: Session, process_key: str) -> str | None:
    spec, _ = store.spec_for(current_version(session, process_key))
    return checks.start_form_key(spec)


# -- running cases ----------------------------------------------------------------------------------------


def _lock_free_student(session: Session, student_id: int) -> Student:
    student = session.scalars(
        select(Student).where(Student.id == student_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if student.open_case_id is not None:
        open_case = session.get_one(ProcessInstance, student.open_case_id)
        raise DomainError(
            f"学生{student.name}已有在办业务「{open_case.title}」（{open_case.state_label}），"
            "办结或撤销后才能发起新的业务"
        )
    return student


def start(
    session: Session,
    process_key: str,
    *,
    student_id: int | None,
    actor: User,
    data: dict[str, Any],
    display: Display = (),
    to_school_id: int | None = None,
) -> ProcessInstance:
    """Open a case for a student. One open case per student (Q-29): the student row is locked to decide it.

    ``to_school_id`` is the receiving school of a transfer (lane 转入学校); it takes part in the case. A case
    without a local student (a cross-province transfer in, F-31) belongs to the receiving school."""
    version = current_version(session, process_key)
    try:
        student = _lock_free_student(session, student_id) if student_id is not None else None
        org_id = student.school_id if student else to_school_id
        if org_id is None:
            raise DomainError("缺少业务所属学校")
        name = student.name if student else str(data.get("student_name", ""))
        instance = ProcessInstance(
            process_key=process_key,
            version_id=version.id,
            version=version,
            title=f"{version.name}：{name}",
            student_id=student_id,
            org_id=org_id,
            to_school_id=to_school_id,
            initiator_id=actor.id,
            correlation_key=uuid4().hex,
            state_json="{}",
            summary={k: v for k, v in data.items() if isinstance(v, str)},
        )
        session.add(instance)
        session.flush()
        if student is not None:
            student.open_case_id = instance.id
        for party in {org_id, actor.org_id, to_school_id} - {None}:
            session.add(CaseParty(instance_id=instance.id, org_id=party))
        record_event(session, instance, "started", bpmn_id=None, title=version.name, actor=actor, display=display)
        workflow = store.new_workflow(version)
        workflow.task_tree.data.update(
            {
                "student_id": student_id,
                "student_name": name,
                "school_id": org_id,
                "initiator_id": actor.id,
                "to_school_id": to_school_id,
                **data,
            }
        )
        run_engine(session, instance, workflow, actor, lambda: None)
        session.commit()
    except BaseException:
        session.rollback()
        store.outbox_written(session)
        raise
    if store.outbox_written(session):
        deliver(session)
    return instance


@contextmanager
def _one_action(session: Session) -> Iterator[None]:
    """One user action on a case: all of it commits, or none of it; a concurrent save reads as already handled.
    Messages the action sent are delivered after the commit. An action that sent none skips the delivery pass (a
    query and a transaction left open per action): a message left pending otherwise, by a crash between commit
    and delivery, is delivered by the next ``tick``."""
    try:
        yield
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        store.outbox_written(session)
        raise TaskAlreadyHandled() from exc
    except BaseException:
        session.rollback()
        store.outbox_written(session)
        raise
    if store.outbox_written(session):
        deliver(session)


def complete(
    session: Session, task_id: int, *, actor: User, data: dict[str, Any], display: Display = ()
) -> ProcessInstance:
    """Complete one inbox task. Of two concurrent submissions exactly one wins; the other gets
    ``TaskAlreadyHandled`` and nothing of it is written. A delegate's submission (委派) goes back to the
    delegator to confirm instead of completing the task."""
    with _one_action(session):
        row, instance, signs = locked_row_and_signs(session, task_id)
        acting_on(session, instance, row, actor, signs=signs)
        if row.delegated_by_id is not None:
            give_back(session, instance, row, actor=actor, data=data, display=display)
        else:
            finish(session, instance, row, actor=actor, data=data, display=display)
    return instance


def locked_row(session: Session, task_id: int) -> tuple[InboxTask, ProcessInstance]:
    """An inbox row and its case, the case locked and both read afresh: another reviewer may have just acted."""
    row, instance, _ = locked_row_and_signs(session, task_id)
    return row, instance


def locked_row_and_signs(session: Session, task_id: int) -> tuple[InboxTask, ProcessInstance, list[InboxTask]]:
    """``locked_row`` and the row's open 加签 rows, in two statements: the case is locked through the row's
    ``instance_id`` (which never changes), then the row and its signs are read afresh under the lock."""
    lock, rows_query = _row_statements()
    instance = session.scalars(lock, {"task_id": task_id}).one_or_none()
    if instance is None:
        raise NotFound()
    rows = session.scalars(rows_query, {"task_id": task_id}).all()
    row = next(r for r in rows if r.id == task_id)
    return row, instance, [r for r in rows if r.id != task_id]


@cache
def _row_statements() -> tuple[Select[ProcessInstance], Select[InboxTask]]:
    """Built once per process (with the task id bound at execution): building them cost about as much CPU as
    running them."""
    task_id = bindparam("task_id", type_=Integer)
    of_row = select(InboxTask.instance_id).where(InboxTask.id == task_id).scalar_subquery()
    lock = _locking(select(ProcessInstance).where(ProcessInstance.id == of_row))
    rows = (
        select(InboxTask)
        .where(
            or_(
                InboxTask.id == task_id,
                and_(
                    InboxTask.parent_id == task_id,
                    InboxTask.status == TaskStatus.OPEN,
                    InboxTask.kind == TaskKind.SIGN,
                ),
            )
        )
        .order_by(InboxTask.id)
        .execution_options(populate_existing=True)
    )
    return lock, rows


def finish(
    session: Session,
    instance: ProcessInstance,
    row: InboxTask,
    *,
    actor: User,
    data: dict[str, Any],
    display: Display = (),
) -> None:
    """Run the row's task with the form's data and the engine after it (the caller holds the case lock)."""
    workflow = store.load(instance)
    try:
        task = workflow.get_task_from_id(UUID(row.task_uuid or ""))
    except Exception as exc:  # removed by a return that committed first
        raise TaskAlreadyHandled() from exc
    if task is None or task.state != TaskState.READY:
        raise TaskAlreadyHandled()
    store.mark_done(session, row, actor)

    def human_step() -> None:
        record_event(session, instance, "task", bpmn_id=row.bpmn_id, title=row.title, actor=actor, display=display)
        if hasattr(task.task_spec, "add_data_from_form"):
            task.task_spec.add_data_from_form(task, data)
        else:  # the initiator's start form, sent back and submitted again
            task.data.update(data)
        task.run()

    run_engine(session, instance, workflow, actor, human_step)


def give_back(
    session: Session,
    instance: ProcessInstance,
    row: InboxTask,
    *,
    actor: User,
    data: dict[str, Any],
    display: Display = (),
) -> None:
    """委派: the delegate's entry is held on the row and the task returns to the delegator to confirm or return."""
    delegator = session.get_one(User, row.delegated_by_id)
    row.draft = {"data": data, "display": [list(line) for line in display]}
    row.claimed_by_id, row.claimed_at, row.delegated_by_id = delegator.id, utcnow(), None
    row.notice = f"{actor.full_name}已办理委派，请确认提交或再次委派"
    record_event(
        session,
        instance,
        "delegated",
        bpmn_id=row.bpmn_id,
        title=f"{row.title}：委派办理完毕",
        actor=actor,
        display=display,
    )
    notify.users(
        session,
        [delegator.id],
        NoticeKind.DELEGATED,
        f"{actor.full_name}已办理您委派的「{row.title}」：{instance.title}",
        instance_id=instance.id,
        task_id=row.id,
    )


def cancel(session: Session, instance_id: int, *, actor: User, reason: str) -> ProcessInstance:
    """在办业务清理 (F-34): cancel an open case: its workflow and inbox rows, the student's open case, and any change
    it made to the student, in one transaction; the history records who cleaned it and why. The caller decides
    who may clean (``models.jurisdiction.cleanable_case_or_404``)."""
    with _one_action(session):
        instance = lock_case(session, instance_id)
        if instance.status != CaseStatus.OPEN:
            raise DomainError(f"业务「{instance.title}」已办结（{instance.state_label}），无需清理")
        workflow = store.load(instance)
        given().restore(HandlerContext(session=session, actor=actor, case=instance, now=utcnow()))
        store.cancel(session, instance, workflow, CANCELLED_LABEL)
        record_event(
            session,
            instance,
            "cancelled",
            bpmn_id=None,
            title="在办业务清理",
            actor=actor,
            display=[("清理原因", reason)],
            state_label=CANCELLED_LABEL,
        )
    return instance


def lock_case(session: Session, instance_id: int) -> ProcessInstance:
    """The case row, locked for this transaction and read afresh: whoever acts on a case holds this lock."""
    return session.scalars(_locking(select(ProcessInstance).where(ProcessInstance.id == instance_id))).one()


def _locking(query: Select[ProcessInstance]) -> Select[ProcessInstance]:
    """Lock the case row only (``OF``: never the version row every case of a diagram shares, nor the student), read
    with its version and student, which the action reads next. The version's XML and spec stay unread: the spec
    is cached per version and hash (``store.spec_for``)."""
    return (
        query.options(
            joinedload(ProcessInstance.version, innerjoin=True)
            .defer(ProcessVersion.bpmn_xml)
            .defer(ProcessVersion.spec_json),
            joinedload(ProcessInstance.student),
        )
        .with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)
    )


def tick(session: Session, now: datetime | None = None) -> int:
    """Fire due timers (``flask xueji tick``). Each case is its own transaction; returns how many ran."""
    now = now or utcnow()
    due_ids = session.scalars(
        select(ProcessInstance.id).where(
            ProcessInstance.status == CaseStatus.OPEN, ProcessInstance.next_timer_at <= now
        )
    ).all()
    for instance_id in due_ids:
        try:
            instance = lock_case(session, instance_id)
            workflow = store.load(instance)
            run_engine(session, instance, workflow, None, workflow.refresh_timers)
            session.commit()
        except (DomainError, StaleDataError):
            session.rollback()
            log.exception("timer of case %s failed; it will be retried at the next tick", instance_id)
    deliver(session)
    deadlines.remind_and_escalate(session, now)
    return len(due_ids)


__all__ = ["EngineFailure", "deliver", "record_event", "relay", "run_engine"]
