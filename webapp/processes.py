"""流程管理: policy officers view, edit, check, publish and migrate the diagrams (issue: diagrams in the browser)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

import jobs
from engine import drafts, versions, vocabulary
from forms import designed as designed_forms
from jobs import migration
from models.errors import DomainError
from models.user import Role
from models.workflow import CaseStatus, DraftStatus, ProcessDraft, ProcessInstance, ProcessVersion
from webapp.access import me, requires
from webapp.db import db, scratch_connection

bp = Blueprint("processes", __name__, url_prefix="/processes")
policy_only = requires(Role.POLICY_OFFICER)


def _versions(key: str) -> list[ProcessVersion]:
    rows = (
        db()
        .scalars(
            select(ProcessVersion).where(ProcessVersion.process_key == key).order_by(ProcessVersion.version_no.desc())
        )
        .all()
    )
    if not rows:
        abort(404)
    return list(rows)


def _version(key: str, no: int) -> ProcessVersion:
    version = db().scalar(
        select(ProcessVersion).where(ProcessVersion.process_key == key, ProcessVersion.version_no == no)
    )
    if version is None:
        abort(404)
    return version


def _draft(key: str, draft_id: int) -> ProcessDraft:
    draft = db().get(ProcessDraft, draft_id)
    if draft is None or draft.process_key != key:
        abort(404)
    return draft


@bp.get("/")
@policy_only
def index() -> ResponseReturnValue:
    current = db().scalars(select(ProcessVersion).where(ProcessVersion.is_current).order_by(ProcessVersion.name))
    counts = dict(
        db().execute(select(ProcessVersion.process_key, func.count()).group_by(ProcessVersion.process_key)).all()
    )
    open_drafts = dict(
        db()
        .execute(
            select(ProcessDraft.process_key, func.count())
            .where(ProcessDraft.status == DraftStatus.DRAFT)
            .group_by(ProcessDraft.process_key)
        )
        .all()
    )
    return render_template("processes/index.html", flows=current.all(), counts=counts, drafts=open_drafts)


# -- choice lists of the draft editor (only for those who may edit diagrams) -------------------------------------


CHOICES: dict[str, Callable[[], object]] = {
    "forms": vocabulary.forms,
    "lanes": vocabulary.lanes,
    "handlers": vocabulary.handlers,
    "states": lambda: vocabulary.state_labels(db()),
    "verbs": vocabulary.verbs,
    "codes": vocabulary.code_tables,
    "field_types": vocabulary.designed_types,
}


@bp.get("/choices/<name>.json")
@policy_only
def choices(name: str) -> ResponseReturnValue:
    """One list per URL (forms, lanes, handlers, states, verbs, codes); see engine.vocabulary."""
    if name not in CHOICES:
        abort(404)
    return jsonify(CHOICES[name]())


@bp.post("/forms/preview")
@policy_only
def preview_form() -> ResponseReturnValue:
    """The form designer's preview: a designed form's definition (JSON: ``definition``, and ``values`` to try the
    validation) rendered by the templates the task page uses, as the reviewer will see it; nothing is stored."""
    body = request.get_json(silent=True) or {}
    definition = body.get("definition")
    problems = designed_forms.check(definition)
    if problems:
        return jsonify({"problems": problems}), 422
    values = body.get("values")
    form_cls = designed_forms.build(definition)
    form = form_cls(MultiDict(_pairs(values))) if isinstance(values, dict) else form_cls()
    form.scope(db(), me())
    if isinstance(values, dict):
        form.validate()
    return jsonify({"problems": [], "html": render_template("processes/_form_preview.html", form=form)})


def _pairs(values: dict[str, object]) -> list[tuple[str, str]]:
    return [(name, str(v)) for name, value in values.items() for v in (value if isinstance(value, list) else [value])]


@bp.get("/<key>")
@policy_only
def flow(key: str) -> ResponseReturnValue:
    all_versions = _versions(key)
    running = dict(
        db()
        .execute(
            select(ProcessInstance.version_id, func.count())
            .where(ProcessInstance.process_key == key, ProcessInstance.status == CaseStatus.OPEN)
            .group_by(ProcessInstance.version_id)
        )
        .all()
    )
    open_drafts = (
        db()
        .scalars(
            select(ProcessDraft)
            .where(ProcessDraft.process_key == key, ProcessDraft.status == DraftStatus.DRAFT)
            .order_by(ProcessDraft.id.desc())
        )
        .all()
    )
    return render_template("processes/flow.html", key=key, versions=all_versions, running=running, drafts=open_drafts)


@bp.get("/<key>/v<int:no>")
@policy_only
def version(key: str, no: int) -> ResponseReturnValue:
    return render_template("processes/version.html", key=key, version=_version(key, no))


@bp.get("/<key>/v<int:no>.bpmn")
@policy_only
def download(key: str, no: int) -> ResponseReturnValue:
    return _xml_response(_version(key, no).bpmn_xml, f"{key}_v{no}.bpmn")


def _xml_response(xml: str, filename: str | None = None) -> Response:
    response = Response(xml, mimetype="application/xml")
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/<key>/drafts")
@policy_only
def new_draft(key: str) -> ResponseReturnValue:
    base = _version(key, request.form.get("version_no", type=int) or _versions(key)[0].version_no)
    upload = request.files.get("file")
    filename = upload.filename if upload and upload.filename else ""
    xml = upload.read() if upload and filename else base.bpmn_xml.encode()
    try:
        draft = drafts.create(db(), key, xml, by=me(), base=base, filename=filename)
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("processes.flow", key=key))
    return redirect(url_for("processes.draft", key=key, draft_id=draft.id))


@bp.get("/<key>/drafts/<int:draft_id>")
@policy_only
def draft(key: str, draft_id: int) -> ResponseReturnValue:
    item = _draft(key, draft_id)
    return render_template(
        "processes/draft.html", key=key, draft=item, scenarios_current=drafts.scenarios_current(item)
    )


@bp.get("/<key>/drafts/<int:draft_id>.bpmn")
@policy_only
def draft_xml(key: str, draft_id: int) -> ResponseReturnValue:
    return _xml_response(_draft(key, draft_id).bpmn_xml)


@bp.post("/<key>/drafts/<int:draft_id>")
@policy_only
def save_draft(key: str, draft_id: int) -> ResponseReturnValue:
    """Saved from the modeler by fetch (the XML is the request body); answers with the check result."""
    item, xml = _draft(key, draft_id), request.get_data()
    try:
        drafts.save(db(), item, xml)
    except DomainError as err:
        return jsonify({"saved": False, "problems": drafts.located(xml, [err.message])}), 422
    return jsonify({"saved": True, "problems": drafts.located(xml, item.problems)})


@bp.post("/<key>/drafts/<int:draft_id>/check")
@policy_only
def check_draft(key: str, draft_id: int) -> ResponseReturnValue:
    """The editor's XML as it is now (unsaved), checked as publishing would check it; nothing is stored."""
    _draft(key, draft_id)
    return jsonify({"problems": drafts.check(request.get_data(), key)})


@bp.post("/<key>/drafts/<int:draft_id>/scenarios")
@policy_only
def run_scenarios(key: str, draft_id: int) -> ResponseReturnValue:
    item = _draft(key, draft_id)
    try:
        with scratch_connection() as connection:
            drafts.try_scenarios(db(), connection, item, current_app.config["PROCESSES_DIR"])
    except DomainError as err:
        flash(err.message, "danger")
    return redirect(url_for("processes.draft", key=key, draft_id=draft_id))


@bp.post("/<key>/drafts/<int:draft_id>/publish")
@policy_only
def publish(key: str, draft_id: int) -> ResponseReturnValue:
    item = _draft(key, draft_id)
    current = _versions(key)[0] if _versions(key) else None
    try:
        published = drafts.publish(
            db(),
            item,
            by=me(),
            note=request.form.get("note", "").strip(),
            override_reason=request.form.get("override_reason", ""),
        )
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("processes.draft", key=key, draft_id=draft_id))
    if current is not None and published.id == current.id:
        flash(f"草稿与第{published.version_no}版内容相同（仅格式不同），未产生新版本", "info")
    else:
        flash(f"已发布第{published.version_no}版：新发起的业务使用新版本，在办业务仍按原版本办理", "success")
    return redirect(url_for("processes.flow", key=key))


@bp.post("/<key>/drafts/<int:draft_id>/discard")
@policy_only
def discard(key: str, draft_id: int) -> ResponseReturnValue:
    drafts.discard(db(), _draft(key, draft_id))
    flash("草稿已放弃", "info")
    return redirect(url_for("processes.flow", key=key))


@bp.get("/<key>/diff")
@policy_only
def diff(key: str) -> ResponseReturnValue:
    old = _version(key, request.args.get("a", type=int) or 0)
    new = _version(key, request.args.get("b", type=int) or 0)
    changes = versions.diff(old, new)
    return render_template("processes/diff.html", key=key, old=old, new=new, changes=changes)


@bp.route("/<key>/migrate", methods=["GET", "POST"])
@policy_only
def migrate(key: str) -> ResponseReturnValue:
    all_versions = _versions(key)
    target = next(v for v in all_versions if v.is_current)
    from_no = request.values.get("from_version", type=int)
    state = request.values.get("state", "")
    query = select(ProcessInstance).where(
        ProcessInstance.process_key == key,
        ProcessInstance.status == CaseStatus.OPEN,
        ProcessInstance.version_id != target.id,
    )
    if from_no:
        query = query.where(ProcessInstance.version_id == _version(key, from_no).id)
    if state:
        query = query.where(ProcessInstance.state_label == state)
    candidates = db().scalars(query.order_by(ProcessInstance.id)).all()
    if request.method == "POST":  # a job: a province's running cases take longer than a request may
        job_id, _ = jobs.create(
            db(),
            key=f"{migration.MIGRATE}:{key}:{target.id}:{secrets.token_hex(8)}",
            kind=migration.MIGRATE,
            title=f"迁移在办业务到「{target.name}」第{target.version_no}版（{len(candidates)}件）",
            actor=me(),
            params={"target_id": target.id, "case_ids": [c.id for c in candidates]},
        )
        jobs.submit(job_id)
        return redirect(url_for("jobs.show", job_id=job_id))
    states = sorted(
        db().scalars(
            select(ProcessInstance.state_label)
            .where(ProcessInstance.process_key == key, ProcessInstance.status == CaseStatus.OPEN)
            .distinct()
        )
    )
    return render_template(
        "processes/migrate.html",
        key=key,
        target=target,
        versions=all_versions,
        candidates=candidates,
        states=states,
        from_no=from_no,
        state=state,
    )
