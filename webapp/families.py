"""家长核对 (F-59), the school's side: the class's upload statistics, the confirmation form of each student (sealed
where the school or its county has a seal), 代传 by the form's upload code, registration codes, parents' password
resets, and the parents' corrections waiting for the school."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

import engine
from handlers import families, prints
from models.attachment import store_upload
from models.errors import DomainError
from models.family import ConfirmationForm, FamilyRequest, ParentLink, RequestState
from models.jurisdiction import students_visible_to
from models.student import Student, StudentStatus
from models.user import Role, User
from webapp import access_log, xlsx
from webapp.access import family_request_or_404, me, requires, student_or_404
from webapp.db import db
from webapp.prints import pdf_response, sealed_pdf

bp = Blueprint("families", __name__, url_prefix="/families")
SCHOOL = (Role.SCHOOL_REGISTRAR, Role.HOMEROOM_TEACHER)


def confirmation_pdf(student: Student, mark: str, by: User | None) -> bytes:
    """The student's 学生学籍信息确认表, sealed with the school's (or its nearest superior's) seal when there is one."""
    form = families.form_of(db(), student)
    db().commit()  # the form's upload code, made the first time it is printed
    story = prints.confirmation_story(prints.card_of(db(), student), form.upload_code)
    return sealed_pdf([story], title="学生学籍信息确认表", mark=mark, org=student.school, by=by)


def read_upload(name: str) -> tuple[bytes, str] | None:
    """An uploaded file's bytes and name, the spooled temporary file closed at once (a photo may be megabytes)."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    try:
        return file.read(), file.filename
    finally:
        file.close()


@bp.get("/")
@requires(*SCHOOL)
def index() -> ResponseReturnValue:
    """学生电子档案上传统计: per class, then per student of the classes the user sees."""
    return _index_page(None)


def _index_page(issued: str | None) -> ResponseReturnValue:
    """The page, with a new code or password shown in this answer only: not in a flash message (the session cookie
    is signed, not secret)."""
    user = me()
    students = (
        db()
        .scalars(
            students_visible_to(user)
            .where(Student.status == StudentStatus.IN_SCHOOL)
            .order_by(Student.class_id, Student.name)
            .limit(500)
        )
        .all()
    )
    ids = [s.id for s in students]
    forms = {
        f.student_id: f for f in db().scalars(select(ConfirmationForm).where(ConfirmationForm.student_id.in_(ids)))
    }
    bound = set(db().scalars(select(ParentLink.student_id).where(ParentLink.student_id.in_(ids))))
    pending = (
        db()
        .scalars(
            select(FamilyRequest)
            .where(FamilyRequest.student_id.in_(ids), FamilyRequest.state == RequestState.PENDING)
            .order_by(FamilyRequest.id)
        )
        .all()
    )
    access_log.saw(ids, "家长核对")
    return render_template(
        "families/index.html", stats=families.class_statistics(db(), user), students=students, forms=forms,
        bound=bound, pending=pending, labels=families.FIELD_LABELS, issued=issued,
    )  # fmt: skip


@bp.get("/students/<int:student_id>/form.pdf")
@requires(*SCHOOL)
def form_pdf(student_id: int) -> ResponseReturnValue:
    student = student_or_404(student_id)
    data = confirmation_pdf(student, xlsx.watermark(me()), me())
    access_log.saw([student.id], "学生学籍信息确认表打印")
    return pdf_response(data, f"学生学籍信息确认表-{student.name}")


@bp.get("/students/<int:student_id>/photo")
@requires(*SCHOOL)
def photo(student_id: int) -> ResponseReturnValue:
    """The uploaded photo of the signed form."""
    student = student_or_404(student_id)
    form = db().get(ConfirmationForm, student.id)
    if form is None or form.photo is None:
        abort(404)
    access_log.saw([student.id], "确认表照片")
    return Response(form.photo, mimetype=form.photo_type, headers={"Cache-Control": "private, no-store"})


@bp.post("/upload")
@requires(*SCHOOL)
def upload() -> ResponseReturnValue:
    """代传: the teacher uploads the photo of a signed form for a parent, by the form's 上传号."""
    data, name = read_upload("file") or (b"", "")
    try:
        student = families.form_by_upload_code(db(), me(), request.form.get("upload_code", ""))
        families.upload_form(db(), student, data, name, teacher=me())
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    else:
        flash(f"已为{student.name}代传确认表照片", "success")
    return redirect(url_for("families.index"))


@bp.post("/students/<int:student_id>/code")
@requires(*SCHOOL)
def reset_code(student_id: int) -> ResponseReturnValue:
    """发放 / 重置注册码: the new code is shown in this answer only (kept as a digest)."""
    student = student_or_404(student_id)
    code = families.issue_code(db(), me(), student)
    db().commit()
    return _index_page(f"{student.name}的新注册码：{code}（只显示这一次，请抄给家长；原注册码及其绑定已失效）")


@bp.post("/parents/password")
@requires(*SCHOOL)
def reset_password() -> ResponseReturnValue:
    try:
        temporary = families.reset_password(db(), me(), request.form.get("phone", ""))
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("families.index"))
    return _index_page(f"家长密码已重置为 {temporary}（只显示这一次），家长登录后须修改密码")


@bp.post("/requests/<int:request_id>")
@requires(*SCHOOL)
def decide(request_id: int) -> ResponseReturnValue:
    """学校确认 of a parent's correction: a non-key field changes (F-20); a key field becomes a key-data change
    application (F-18) with the parent's proof, started by whoever confirms; or 不采纳."""
    row = family_request_or_404(request_id)
    try:
        if request.form.get("decision") == "reject":
            families.decide(row, me(), RequestState.REJECTED)
            db().commit()
            flash("已不采纳该更正", "info")
        elif not row.key_field:
            families.apply_open_change(db(), me(), row)
            db().commit()
            flash(f"已修改{row.student.name}的{families.FIELD_LABELS[row.field]}", "success")
        else:
            return _forward(row)
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("families.index"))


def _forward(row: FamilyRequest) -> ResponseReturnValue:
    user = me()
    if not user.has_role(Role.SCHOOL_REGISTRAR):
        raise DomainError("关键数据变更申请由学籍管理员提交，请联系学校学籍管理员")
    proof = store_upload(
        db(), student_id=row.student_id, user=user, filename=f"家长提交的证明材料-{row.id}", data=row.proof or b"",
        kind="佐证材料",
    )  # fmt: skip
    db().flush()
    data = families.key_change_data(row, proof.id)
    families.decide(row, user, RequestState.FORWARDED)
    case = engine.start(db(), "key_data_change", student_id=row.student_id, actor=user, data=data)
    row.case_id = case.id
    db().commit()
    flash(f"已提交「{case.title}」，当前状态：{case.state_label}", "success")
    return redirect(url_for("cases.detail", case_id=case.id))
