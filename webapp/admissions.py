"""招生入学 (F-41/F-42 admission, F-43 跨省招生, F-46 duplicates, F-49 class assignment): pages and the admission
step.

``admit_graduate`` is the one place an admission is recorded: the student row is locked, and when another school
already admitted the graduate the 重复招生处理 case (processes/duplicate_admission.bpmn) opens in the same
transaction.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

import engine as wf
from forms import FORMS, transfer_cross
from handlers import admission_results, class_assignment, regional_rules
from jobs import uploads
from models import admission as adm
from models.admission import AdmissionResult
from models.base import utcnow
from models.errors import DomainError
from models.org import School, Stage, other_provinces
from models.school_year import new_year_refusals
from models.student import Student
from models.user import Role, User
from models.workflow import ProcessInstance
from webapp import xlsx
from webapp.access import me, requires
from webapp.db import db
from webapp.transfers import CROSS_IN, calendar_notice, start_request

bp = Blueprint("admissions", __name__, url_prefix="/admissions")


def admit_graduate(
    session: Session, actor: User, *, student_id: int, school_id: int, stage: Stage, setup_checked: bool = False
) -> tuple[adm.Admission, ProcessInstance | None]:
    """Record a school's admission of a graduate and commit; a second school's admission opens F-46. The regional
    rule pack (F-65) is checked first."""
    try:
        who = regional_rules.Candidate.of(session.get_one(Student, student_id))
        entry = regional_rules.Entry(school_id, stage, None, "招生录取")
        regional_rules.enforce(session, who, entry, actor=actor, now=utcnow())
        admission, earlier = adm.record_admission(
            session, actor, student_id, school_id, stage, now=utcnow(), setup_checked=setup_checked
        )
    except BaseException:
        session.rollback()
        raise
    if earlier is None:
        session.commit()
        return admission, None
    form = FORMS["duplicate_admission.open"](
        formdata=MultiDict(
            {"admission_a": str(earlier.id), "admission_b": str(admission.id), "school_b": str(admission.school_id)}
        )
    )
    if not form.validate():  # pragma: no cover - the system fills it
        raise RuntimeError(form.errors)
    data = {**form.to_task_data(), "student_name": admission.student.name, "admitted_student": str(student_id)}
    case = wf.start(
        session,
        "duplicate_admission",
        student_id=None,
        actor=actor,
        data=data,
        display=form.display_lines(),
        to_school_id=earlier.school_id,
    )
    return admission, case


# -- 学生分班 / 自动分班 (F-49) ---------------------------------------------------------------------------------


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


def _classes_page(plan: class_assignment.Plan | None = None) -> ResponseReturnValue:
    school_id = me().org_id
    students = class_assignment.awaiting_class(db(), school_id)
    return render_template(
        "admissions/classes.html",
        students=students,
        names={s.id: s.name for s in students},
        classes=class_assignment.newcomer_class_choices(db(), school_id, students),
        plan=plan,
        chosen_students=_ids("student_id"),
        chosen_classes=_ids("class_id"),
        setup_refusals=new_year_refusals(db(), school_id),
    )


@bp.get("/classes")
@requires(Role.SCHOOL_REGISTRAR)
def classes() -> ResponseReturnValue:
    """学生分班: the school's students awaiting a class (待分班) and its classes."""
    return _classes_page()


@bp.post("/classes/preview")
@requires(Role.SCHOOL_REGISTRAR)
def preview() -> ResponseReturnValue:
    """自动分班, first step: who would go to which class and the counts per class, to confirm."""
    try:
        plan = class_assignment.preview(db(), me().org_id, _ids("student_id"), _ids("class_id"))
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("admissions.classes"))
    return _classes_page(plan)


@bp.post("/classes/auto")
@requires(Role.SCHOOL_REGISTRAR)
def assign_auto() -> ResponseReturnValue:
    try:
        plan = class_assignment.assign_automatic(db(), me(), me().org_id, _ids("student_id"), _ids("class_id"))
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("admissions.classes"))
    flash(f"自动分班完成：{len(plan.assignments)} 名学生已分班", "success")
    if plan.unassigned:
        flash(f"班额已满，{len(plan.unassigned)} 名学生未分班", "warning")
    return redirect(url_for("admissions.classes"))


@bp.post("/classes/manual")
@requires(Role.SCHOOL_REGISTRAR)
def assign_manual() -> ResponseReturnValue:
    try:
        class_id = int(request.form.get("target_class_id", ""))
        count = class_assignment.assign_manual(db(), me(), me().org_id, _ids("student_id"), class_id)
        db().commit()
    except ValueError:
        flash("请选择班级", "danger")
        return redirect(url_for("admissions.classes"))
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("admissions.classes"))
    flash(f"{count} 名学生已分班", "success")
    return redirect(url_for("admissions.classes"))


def admit_results(session: Session, actor: User, result_ids: list[int]) -> tuple[int, int, list[str]]:
    """统一招生录取 (F-41): the school admits the chosen results naming it; each admission is committed on its own
    (a second school's admission opens 重复招生). Returns (admitted, duplicates, refusal messages)."""
    chosen, refused = admission_results.admittable(session, actor, result_ids)
    targets = [(r.id, r.student_id, r.school_id, r.stage) for r in chosen]
    admitted, duplicates = 0, 0
    for result_id, student_id, school_id, stage in targets:
        try:
            admission, case = admit_graduate(
                session, actor, student_id=student_id, school_id=school_id, stage=stage, setup_checked=True
            )
        except DomainError as err:
            refused.append(err.message)
            continue
        session.get_one(AdmissionResult, result_id).admission_id = admission.id
        session.commit()
        admitted += 1
        duplicates += case is not None
    return admitted, duplicates, refused


# -- 招生结果管理 (F-40), 统一招生录取 (F-41), 录取新生核办 (F-44) ---------------------------------------------------


def _results_page(errors: list[str]) -> ResponseReturnValue:
    return render_template(
        "admissions/results.html",
        results=admission_results.results_of_county(db(), me().org_id),
        headers=admission_results.HEADERS,
        schools=adm.county_schools(db(), me().org_id),
        errors=errors,
    )


@bp.get("/results")
@requires(Role.COUNTY_OFFICER)
def results() -> ResponseReturnValue:
    return _results_page([])


@bp.get("/results/template")
@requires(Role.COUNTY_OFFICER)
def results_template() -> ResponseReturnValue:
    return xlsx.download("招生结果模板", list(admission_results.HEADERS), [])


@bp.post("/results/import")
@requires(Role.COUNTY_OFFICER)
def results_import() -> ResponseReturnValue:
    """Import, then redirect: a refused file is kept (``jobs.uploads``) and its errors shown under a GET URL, so
    refreshing the page does not post the file again."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        imported = admission_results.import_results(db(), me(), data, now=utcnow())
        db().commit()
    except admission_results.ImportRefused as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("admissions.results_refused", token=uploads.keep(me().id, data)))
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("admissions.results"))
    changed = f"（其中 {imported.changed} 条改为新的录取学校）" if imported.changed else ""
    flash(f"已导入 {imported.added + imported.changed} 条招生结果{changed}", "success")
    return redirect(url_for("admissions.results"))


@bp.get("/results/import/<token>")
@requires(Role.COUNTY_OFFICER)
def results_refused(token: str) -> ResponseReturnValue:
    """The refused file's row errors, checked again (nothing is written)."""
    data = uploads.read(me().id, token)
    if not data:
        return redirect(url_for("admissions.results"))
    try:
        errors = admission_results.refusals(db(), me(), data, now=utcnow())
    except DomainError as err:
        errors = [err.message]
    if not errors:  # what blocked the file has changed meanwhile (e.g. a result was failed)
        flash("该文件现已没有错误，请重新上传导入", "info")
        return redirect(url_for("admissions.results"))
    return _results_page(errors)


@bp.post("/results/add")
@requires(Role.COUNTY_OFFICER)
def results_add() -> ResponseReturnValue:
    f = request.form
    try:
        admission_results.add_manually(
            db(),
            me(),
            number=f.get("number", "").strip(),
            name=f.get("name", "").strip(),
            school_code=f.get("school_code", "").strip(),
            stage=f.get("stage", "").strip(),
            now=utcnow(),
        )
        db().commit()
        flash("已增加招生结果", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("admissions.results"))


@bp.get("/unified")
@requires(Role.SCHOOL_REGISTRAR)
def unified() -> ResponseReturnValue:
    """统一招生录取: the county's results naming this school, not yet admitted."""
    return render_template("admissions/unified.html", results=admission_results.results_for_school(db(), me().org_id))


@bp.post("/unified")
@requires(Role.SCHOOL_REGISTRAR)
def unified_admit() -> ResponseReturnValue:
    try:
        admitted, duplicates, refused = admit_results(db(), me(), _ids("result_id"))
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("admissions.unified"))
    if admitted:
        flash(f"已录取 {admitted} 名学生，待学籍主管部门核办", "success")
    if duplicates:
        flash(f"其中 {duplicates} 名学生已被其他学校录取，已转入重复招生处理", "warning")
    for message in refused:
        flash(message, "danger")
    _plan_warnings()
    return redirect(url_for("admissions.unified"))


def _plan_warnings() -> None:
    """Q-25: admissions past the school's plan warn (they are not blocked)."""
    for stage in Stage:
        warning = adm.plan_warning(db(), me().org_id, utcnow().year, stage)
        if warning:
            flash(f"{stage.label}{warning}", "warning")


@bp.get("/review")
@requires(Role.COUNTY_OFFICER)
def review() -> ResponseReturnValue:
    """录取新生核办: the county's schools' admissions awaiting review."""
    return render_template("admissions/review.html", pending=admission_results.pending_for_county(db(), me().org_id))


@bp.post("/review")
@requires(Role.COUNTY_OFFICER)
def review_decide() -> ResponseReturnValue:
    passed = request.form.get("decision") == "通过"
    try:
        count = admission_results.review(db(), me(), _ids("admission_id"), passed=passed, now=utcnow())
        db().commit()
        flash(f"{count} 条录取已核办：{'通过' if passed else '不通过'}", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("admissions.review"))


# -- 自主招生 (F-42) -------------------------------------------------------------------------------------------


def self_admit(
    session: Session, actor: User, *, number: str, name: str, stage: Stage
) -> tuple[adm.Admission, ProcessInstance | None]:
    """自主招生 by 学籍号 + 学生姓名: the school's admission of a graduate it found itself (then F-44 review)."""
    student = adm.find_graduate(session, number, name)
    return admit_graduate(session, actor, student_id=student.id, school_id=actor.org_id, stage=stage)


@bp.get("/self")
@requires(Role.SCHOOL_REGISTRAR)
def self_admission() -> ResponseReturnValue:
    return render_template("admissions/self.html", stages=list(Stage))


@bp.post("/self")
@requires(Role.SCHOOL_REGISTRAR)
def self_admission_save() -> ResponseReturnValue:
    f = request.form
    try:
        _, case = self_admit(
            db(),
            me(),
            number=f.get("number", "").strip(),
            name=f.get("name", "").strip(),
            stage=Stage(f.get("stage", "")),
        )
    except ValueError:
        flash("请选择教育阶段", "danger")
        return redirect(url_for("admissions.self_admission"))
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("admissions.self_admission"))
    flash("已录取，待学籍主管部门核办", "success")
    _plan_warnings()
    if case is not None:
        flash("该学生已被其他学校录取，已转入重复招生处理", "warning")
    return redirect(url_for("admissions.self_admission"))


# -- 跨省招生 / 毕业后跨省就学 (F-43) --------------------------------------------------------------------------


@bp.route("/cross-province", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def cross_province() -> ResponseReturnValue:
    """跨省招生: the graduation province, name and national number of a graduate of another province and the stage
    admitted to; the county, the graduation province and the archive pull follow in the inboxes."""
    form = transfer_cross.AdmissionRequestForm(request.form if request.method == "POST" else None)
    form.from_province_id.choices = other_provinces(db(), me().org.ancestor_ids()[1])
    taught = db().get_one(School, me().org_id).stage_list
    form.stage.choices = [choice for choice in transfer_cross.ADMISSION_STAGES if choice.value in taught]
    if request.method == "POST" and form.validate():
        province = dict(form.from_province_id.choices).get(form.from_province_id.data, "")
        started = start_request(CROSS_IN, None, form, from_province_name=province)
        if started is not None:
            return started
    status = 422 if request.method == "POST" else 200
    notice = calendar_notice("cross_province_admission")
    if not form.stage.choices:
        notice = "本校没有初中或高中阶段，不招收毕业生"
    return render_template("admissions/cross_province.html", form=form, notice=notice), status


@bp.get("/origin")
@requires(Role.COUNTY_OFFICER)
def origin() -> ResponseReturnValue:
    """外地就读学生核办 (F-45): the county's graduates admitted out of area."""
    pending = admission_results.origin_pending(db(), me().org_id)
    return render_template("admissions/decide.html", title="外地就读学生核办", rows=pending, decide=True)


@bp.post("/origin")
@requires(Role.COUNTY_OFFICER)
def origin_decide() -> ResponseReturnValue:
    passed = request.form.get("decision") == "通过"
    try:
        count = admission_results.origin_review(db(), me(), _ids("admission_id"), passed=passed, now=utcnow())
        db().commit()
        flash(f"{count} 名外地就读学生已核办：{'通过' if passed else '不通过'}", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("admissions.origin"))


@bp.get("/pull")
@requires(Role.SCHOOL_REGISTRAR)
def pull() -> ResponseReturnValue:
    """调取新生档案 (F-48): admitted students whose archive may be pulled."""
    rows = admission_results.pullable(db(), me().org_id)
    return render_template("admissions/decide.html", title="调取新生档案", rows=rows, decide=False)


@bp.post("/pull")
@requires(Role.SCHOOL_REGISTRAR)
def pull_archive() -> ResponseReturnValue:
    try:
        count = admission_results.pull(db(), me(), _ids("admission_id"))
        db().commit()
        flash(f"已调取 {count} 名新生档案，学生进入待分班", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("admissions.pull"))


# -- 招生计划数设置 / 变更申请 (F-39) -----------------------------------------------------------------------------


@bp.get("/plans")
@requires(Role.COUNTY_OFFICER, Role.SCHOOL_REGISTRAR)
def plans() -> ResponseReturnValue:
    """County: 招生计划数设置 for its schools; school: its plans and 变更申请 (through the 区县's review)."""
    is_county = me().has_role(Role.COUNTY_OFFICER)
    return render_template(
        "admissions/plans.html",
        plans=adm.plans_of(db(), me()),
        schools=adm.county_schools(db(), me().org_id) if is_county else [],
        form=FORMS["admission_plan_change.request"](),
        stages=list(Stage),
        is_county=is_county,
    )


@bp.post("/plans")
@requires(Role.COUNTY_OFFICER)
def plans_set() -> ResponseReturnValue:
    f = request.form
    try:
        school_id = adm.county_school_id(db(), me(), f.get("school_code", "").strip())
        adm.set_plan(
            db(),
            me(),
            school_id,
            year=int(f.get("year", "")),
            stage=Stage(f.get("stage", "")),
            planned=int(f.get("planned", "")),
        )
        db().commit()
        flash("招生计划数已设置", "success")
    except ValueError:
        flash("请填写年度、教育阶段和计划数", "danger")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("admissions.plans"))


@bp.post("/plans/change")
@requires(Role.SCHOOL_REGISTRAR)
def plans_change() -> ResponseReturnValue:
    form = FORMS["admission_plan_change.request"](request.form)
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for("admissions.plans"))
    case = wf.start(
        db(),
        "admission_plan_change",
        student_id=None,
        actor=me(),
        data=form.to_task_data(),
        display=form.display_lines(),
        to_school_id=me().org_id,
    )
    flash("招生计划数变更申请已提交，待学籍主管部门核办", "success")
    return redirect(url_for("cases.detail", case_id=case.id))
