"""Prints (F-56, R17): 学籍卡片 of one student, 学生花名册 of a class, and the whole school's rosters or cards as a
background job whose PDF is downloaded from the job page. Every print is in the access log."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

import jobs
from handlers import prints, sealing
from models.base import utcnow
from models.clock import local
from models.errors import DomainError
from models.jurisdiction import SCHOOL_WIDE_ROLES
from models.org import Cohort, OrgLevel, OrgUnit, SchoolClass
from models.user import Role, User
from webapp import access_log, xlsx
from webapp.access import job_or_404, me, own_class_or_404, requires, student_or_404
from webapp.db import db

bp = Blueprint("prints", __name__, url_prefix="/prints")
SCHOOL_BATCH = "prints.school"
BATCH_KINDS = {"roster": "学生花名册", "cards": "学籍卡片"}


def pdf_response(data: bytes, filename: str, *, download: bool = False) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}.pdf"},
    )


def passphrase() -> bytes:
    """What the organisations' seal keys are encrypted with: the deployment's secret key."""
    return str(current_app.config["SECRET_KEY"]).encode()


def sealed_pdf(stories: list[list[Any]], *, title: str, mark: str, org: OrgUnit, by: User | None) -> bytes:
    """The PDF of ``stories`` under the seal of ``org`` (or of its nearest superior with one, F-61): the seal image
    on the first page and the signature over the whole file; plain when no seal has been made yet."""
    key = sealing.key_for(db(), org)
    data = prints.pdf(stories, title=title, mark=mark, seal=key.org.name if key else "")
    if key is None:
        return data
    try:
        signed = sealing.sign(db(), key, data, passphrase(), reason=title, by=by)
    except DomainError as err:  # no unsealed copy instead: the reader would take it for the sealed one
        page = render_template("error.html", code=503, title="电子印章不可用", message=err.message)
        abort(Response(page, status=503, mimetype="text/html"))
    db().commit()  # the seal's use, in the audit trail
    return signed


def batch_path(job_id: int) -> Path:
    """Where a batch print job leaves its PDF (beside the imports' uploads, outside the static files)."""
    return Path(current_app.config["IMPORT_DIR"]) / "prints" / f"{job_id}.pdf"


@bp.get("/")
@requires(Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER, Role.HOMEROOM_TEACHER)
def index() -> ResponseReturnValue:
    """学籍打印: the classes whose roster the user may print, and the whole school's batch print."""
    user = me()
    query = (
        select(SchoolClass, Cohort)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == user.org_id)
        .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
    )
    if not user.roles & SCHOOL_WIDE_ROLES:
        query = query.where(SchoolClass.homeroom_teacher_id == user.id)
    classes = [(klass.id, f"{cohort.name}{klass.name}") for klass, cohort in db().execute(query)]
    return render_template("prints/index.html", classes=classes, kinds=BATCH_KINDS)


@bp.get("/students/<int:student_id>/card.pdf")
@login_required
def card(student_id: int) -> ResponseReturnValue:
    student = student_or_404(student_id)
    story = prints.card_story(prints.card_of(db(), student))
    data = sealed_pdf([story], title="学籍卡片", mark=xlsx.watermark(me()), org=student.school, by=me())
    access_log.saw([student.id], "学籍卡片打印")
    return pdf_response(data, f"学籍卡片-{student.name}")


@bp.get("/classes/<int:class_id>/roster.pdf")
@requires(Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER, Role.HOMEROOM_TEACHER)
def roster(class_id: int) -> ResponseReturnValue:
    klass = own_class_or_404(class_id)
    user = me()
    if not user.roles & SCHOOL_WIDE_ROLES and klass.homeroom_teacher_id != user.id:
        abort(404)  # a homeroom teacher prints the own class only (F-05)
    content = prints.roster_of(db(), klass)
    data = prints.pdf([prints.roster_story(content)], title="学生花名册", mark=xlsx.watermark(user))
    access_log.exported("学生花名册打印", len(content.rows), purpose=content.class_name)
    return pdf_response(data, f"学生花名册-{content.class_name}")


@bp.post("/school")
@requires(Role.SCHOOL_REGISTRAR)
def school() -> ResponseReturnValue:
    """全校批量打印: every class's roster (or every student's card) of the user's school, as a job."""
    user = me()
    what = request.form.get("what", "roster")
    if what not in BATCH_KINDS or user.org.level != OrgLevel.SCHOOL:
        abort(400)
    minute = local(utcnow()).strftime("%Y%m%d%H%M")
    job_id, created = jobs.create(
        db(),
        key=f"{SCHOOL_BATCH}:{user.org_id}:{what}:{minute}",
        kind=SCHOOL_BATCH,
        title=f"全校{BATCH_KINDS[what]}打印",
        actor=user,
        params={"school_id": user.org_id, "what": what},
    )
    if created:
        jobs.submit(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.get("/jobs/<int:job_id>.pdf")
@requires(Role.SCHOOL_REGISTRAR)
def batch(job_id: int) -> ResponseReturnValue:
    job = job_or_404(job_id)
    path = batch_path(job.id)
    if job.kind != SCHOOL_BATCH or not path.is_file():  # not a print, not done yet, or cleared away
        flash("该任务没有可下载的PDF（尚未完成或已清理），请重新发起打印。", "warning")
        return redirect(url_for("jobs.show", job_id=job.id))
    access_log.exported("全校批量打印", int(job.result.get("students", 0)), purpose=job.title)
    return pdf_response(path.read_bytes(), job.title, download=True)
