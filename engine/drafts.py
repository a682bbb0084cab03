"""Drafts of diagrams: what a policy officer saves, checks, tries against the stored scenarios and publishes.

A draft can be saved in any state; it is checked on every save. Publishing needs a clean check and passing
scenarios for exactly the saved text, or an override with a written reason (kept in the version note).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lxml import etree
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine import api, scenarios, store, versions
from models import audit
from models.base import utcnow
from models.errors import DomainError
from models.user import User
from models.workflow import DraftStatus, ProcessDraft, ProcessVersion

MAX_DIAGRAM_BYTES = 2 * 1024 * 1024
BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _text(xml: bytes, label: str = "上传的文件") -> str:
    if len(xml) > MAX_DIAGRAM_BYTES:
        raise DomainError("流程图文件过大（上限 2 MB）")
    api.refuse_hostile(xml, label)
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DomainError(
            f"{label}不是 UTF-8 编码的文本文件，不是 BPMN 流程图：请上传建模工具导出的 .bpmn 文件"
        ) from exc
    require_diagram(xml, label)
    return text


def require_diagram(xml: bytes, label: str) -> None:
    """Refuse, before anything is stored, a file that is no BPMN diagram or has no process the engine would run:
    such a draft could never be edited into a flow (the parser's own English would only puzzle its reader).
    Anything else wrong with a diagram is a problem of the draft, listed by the publish check."""
    hint = "请上传建模工具导出的 .bpmn 文件"
    try:
        root = etree.fromstring(xml, parser=api.SAFE_XML)
    except etree.XMLSyntaxError as exc:
        line = f"（第 {exc.lineno} 行无法解析）" if exc.lineno else ""
        raise DomainError(f"{label}不是 BPMN 流程图：它不是 XML 文件{line}。{hint}") from exc
    name = etree.QName(root)
    if name.namespace != BPMN_MODEL or name.localname != "definitions":
        found = f"<{name.localname}>" + (f"（命名空间 {name.namespace}）" if name.namespace else "（无命名空间）")
        raise DomainError(
            f"{label}不是 BPMN 流程图：它的根元素是 {found}，BPMN 2.0 文件的根元素应为 bpmn:definitions。{hint}"
        )
    processes = root.findall(f"{{{BPMN_MODEL}}}process")
    if not processes:
        raise DomainError(f"{label}中没有流程（bpmn:process），只有协作图或其他定义，没有可以运行的步骤。{hint}")
    # SpiffWorkflow runs a process unless it says isExecutable="false".
    if all(p.get("isExecutable", "true") == "false" for p in processes):
        names = "、".join(f"「{p.get('name') or p.get('id')}」" for p in processes)
        raise DomainError(
            f'{label}中的流程{names}都标记为不可执行（isExecutable="false"）：请在建模工具中把要运行的流程设为'
            "可执行后重新导出"
        )


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create(
    session: Session, process_key: str, xml: bytes, *, by: User, base: ProcessVersion | None, filename: str = ""
) -> ProcessDraft:
    """A new draft of ``xml`` (an upload named ``filename``, or a version's text); ``DomainError`` when the file is
    no diagram that could become a flow, and then nothing is stored."""
    draft = ProcessDraft(
        process_key=process_key,
        bpmn_xml=_text(xml, f"上传的文件「{filename}」" if filename else "上传的文件"),
        base_version_id=base.id if base else None,
        created_by_id=by.id,
        problems=versions.validate(xml, f"{process_key}.bpmn"),
    )
    session.add(draft)
    session.commit()
    return draft


def save(session: Session, draft: ProcessDraft, xml: bytes) -> ProcessDraft:
    _open(draft)
    draft.bpmn_xml = _text(xml, "保存的流程图")
    draft.problems = versions.validate(xml, f"{draft.process_key}.bpmn")
    draft.updated_at = utcnow()
    session.commit()
    return draft


_NAMED = re.compile(r"[（「]([A-Za-z_][\w.\-]*)[）」]")


def located(xml: bytes, problems: list[str]) -> list[dict[str, object]]:
    """Each problem with the ids of the diagram's elements it names (the checks write 「name」（id）), so that the
    editor can mark them on the canvas; a problem naming none (a file-level one) has an empty list."""
    try:
        root = etree.fromstring(xml, parser=api.SAFE_XML)
        ids = {node.get("id") for node in root.iter(f"{{{BPMN_MODEL}}}*") if node.get("id")}
    except etree.XMLSyntaxError:
        ids = set()
    return [
        {"text": text, "elements": [i for i in dict.fromkeys(_NAMED.findall(text)) if i in ids]} for text in problems
    ]


def check(xml: bytes, process_key: str) -> list[dict[str, object]]:
    """The check that guards publishing, run on unsaved XML of the editor (nothing is stored)."""
    try:
        _text(xml, "流程图")
    except DomainError as refused:
        return located(xml, [refused.message])
    return located(xml, versions.validate(xml, f"{process_key}.bpmn"))


def try_scenarios(session: Session, connection: Connection, draft: ProcessDraft, processes_dir: Path) -> ProcessDraft:
    _open(draft)
    if draft.problems:
        raise DomainError("流程图未通过校验，不能运行测试场景")
    stored = scenarios.load(processes_dir, draft.process_key)
    results = scenarios.run_all(connection, draft.bpmn_xml.encode(), f"{draft.process_key}.bpmn", stored)
    draft.scenario_results = [
        {
            "name": r.name,
            "passed": r.passed,
            "message": r.message,
            "trail": r.trail,
            "done": r.done,
            "current": r.current,
        }
        for r in results
    ]
    draft.scenarios_checked_hash = _hash(draft.bpmn_xml)
    session.commit()
    return draft


def scenarios_current(draft: ProcessDraft) -> bool:
    return draft.scenario_results is not None and draft.scenarios_checked_hash == _hash(draft.bpmn_xml)


def publish(session: Session, draft: ProcessDraft, *, by: User, note: str, override_reason: str = "") -> ProcessVersion:
    """Publish the draft as the current version; ``DomainError`` says why not."""
    _open(draft)
    if draft.problems:
        raise DomainError("流程图未通过校验，不能发布")
    if not scenarios_current(draft):
        raise DomainError("请先对当前保存的草稿运行测试场景")
    failed = [r["name"] for r in draft.scenario_results or [] if not r["passed"]]
    if failed and not override_reason.strip():
        raise DomainError(f"测试场景未通过（{'、'.join(failed)}）：如确需发布，请填写强制发布的理由")
    if failed:
        note = f"{note}（强制发布：{override_reason.strip()}；未通过场景：{'、'.join(failed)}）".strip()
    before = session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_key == draft.process_key, ProcessVersion.is_current)
    )
    version = api.publish(session, draft.bpmn_xml.encode(), filename=f"{draft.process_key}.bpmn", by=by, note=note)
    draft.status, draft.published_version_id = DraftStatus.PUBLISHED, version.id
    audit.record(  # who put which diagram, with which designed forms, into force
        session,
        actor=by,
        action="publish_process",
        entity="process_version",
        entity_id=version.id,
        before=_published(before),
        after={**_published(version), "draft_id": draft.id, "note": version.note},
    )
    session.commit()
    return version


def _published(version: ProcessVersion | None) -> dict[str, object]:
    if version is None:
        return {}
    return {
        "process_key": version.process_key,
        "version_no": version.version_no,
        "forms": store.designed_forms(version),
    }


def discard(session: Session, draft: ProcessDraft) -> None:
    _open(draft)
    draft.status = DraftStatus.DISCARDED
    session.commit()


def _open(draft: ProcessDraft) -> None:
    if draft.status != DraftStatus.DRAFT:
        raise DomainError("该草稿已发布或已放弃，不能再修改")
