"""Who may use each route of the web app: one line per endpoint of ``app.url_map``.

tests/test_access_matrix.py reads this table and checks the running app against it: an anonymous visitor is sent to
the login page from everything not ``public``; a user without one of the listed roles gets 403; a user of another
county or province gets 404 for an object of this county on every ``scoped`` route. A route missing here fails
the suite, so nothing new ships without somebody deciding who may use it.

How to classify a new route (endpoint = "<blueprint>.<function name>", as in ``url_for``):

- ``public("why")``: no login at all (the login page, static files). Say why in the argument.
- ``logged_in()``: any logged-in user, ``@login_required``; what it lists is already filtered by jurisdiction
  (``models.jurisdiction.*_visible_to``) and it takes no object id from the URL.
- ``roles(Role.X, ...)``: ``@requires(Role.X, ...)`` and no object id in the URL (or an id of something shared by
  every province, such as a diagram or a national holiday).
- ``parent()`` / ``parent("loader")``: a page of the parents' portal (F-62): a parent's own sign-in, not a staff
  login; anonymous visitors and staff alike are sent to ``/portal/login``. With a loader (``own_child_or_404``,
  ``child_case_or_404``), the URL names a child or a case and another parent gets 404
  (``test_a_parent_gets_404_for_another_childs_objects``).
- ``scoped("kind", "loader", Role.X, ...)``: the URL names an object (``/students/<int:student_id>``, a case, a task,
  an attachment, a class, ...) and the view loads it through ``loader`` (e.g. ``student_or_404`` of
  ``webapp.access``), which answers 404 outside the user's jurisdiction; the loader's name must appear in the
  view's source. Roles as in ``roles``; none means ``@login_required``. ``kind`` names the object the test builds
  in 南明区 (see ``OBJECTS`` in tests/test_access_matrix.py; add a builder there for a new kind).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.user import Role

R = Role
SCHOOL = (R.SCHOOL_REGISTRAR, R.HOMEROOM_TEACHER)
AUTHORITIES = (R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER, R.NATIONAL_OFFICER)
TERMS = (R.SCHOOL_REGISTRAR, R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER)
CLASS_SIZES = (R.PROVINCE_OFFICER, R.CITY_OFFICER, R.COUNTY_OFFICER)


@dataclass(frozen=True)
class Access:
    """``roles`` empty: any logged-in user. ``kind``/``loader`` set: the URL names an object of that kind."""

    public: bool = False
    roles: tuple[Role, ...] = ()
    kind: str = ""
    loader: str = ""
    why: str = ""
    levels: tuple[str, ...] = ()  # ``requires(..., at=...)``: only users of organisations at these levels
    parent: bool = False  # the parents' portal: its own sign-in (F-62)


def public(why: str) -> Access:
    return Access(public=True, why=why)


def logged_in() -> Access:
    return Access()


def roles(*allowed: Role, at: tuple[str, ...] = ()) -> Access:
    return Access(roles=allowed, levels=at)


def parent(loader: str = "") -> Access:
    return Access(parent=True, loader=loader)


def scoped(kind: str, loader: str, *allowed: Role) -> Access:
    return Access(roles=allowed, kind=kind, loader=loader)


PROVINCE = ("province",)

ROUTES: dict[str, Access] = {
    # -- administration (系统管理): users within the administrator's subtree; the organisation tree by the province --
    "auth.change_password": logged_in(),
    "admin.users": roles(R.ADMINISTRATOR),
    "admin.new_user": roles(R.ADMINISTRATOR),
    "admin.user": scoped("user", "administered_user_or_404", R.ADMINISTRATOR),
    "admin.disable": scoped("user", "administered_user_or_404", R.ADMINISTRATOR),
    "admin.enable": scoped("user", "administered_user_or_404", R.ADMINISTRATOR),
    "admin.reopen": scoped("user", "administered_user_or_404", R.ADMINISTRATOR),
    "admin.reset": scoped("user", "administered_user_or_404", R.ADMINISTRATOR),
    "admin.roles": roles(R.SECURITY_ADMINISTRATOR, at=PROVINCE),
    "permissions.index": roles(R.SECURITY_ADMINISTRATOR, at=PROVINCE),
    "admin.orgs_index": roles(R.ADMINISTRATOR, at=PROVINCE),
    "admin.org": roles(R.ADMINISTRATOR, at=PROVINCE),  # a unit of the province (administered_unit_or_404)
    "admin.org_template": roles(R.ADMINISTRATOR, at=PROVINCE),
    "admin.org_import": roles(R.ADMINISTRATOR, at=PROVINCE),
    "admin.org_import_commit": roles(R.ADMINISTRATOR, at=PROVINCE),
    "admin.org_import_failed": roles(R.ADMINISTRATOR, at=PROVINCE),
    # -- the draft editor's choice lists and check (policy officers) ----------------------------------------------
    "processes.choices": roles(R.POLICY_OFFICER),
    "processes.check_draft": roles(R.POLICY_OFFICER),
    "processes.preview_form": roles(R.POLICY_OFFICER),
    # -- no login ---------------------------------------------------------------------------------------------------
    "auth.login": public("the login page itself"),
    "static": public("the app's CSS and JS"),
    "vendor": public("Bootstrap and bpmn-js from node_modules, a fixed list of packages"),
    "auth.logout": logged_in(),
    # -- inbox and cases ---------------------------------------------------------------------------------------------
    "inbox.index": logged_in(),
    "inbox.done": logged_in(),
    "inbox.task": scoped("task", "task_or_404"),
    "cases.mine": logged_in(),
    "cases.deletions": roles(*AUTHORITIES),
    "cases.detail": scoped("case", "case_or_404"),
    "cases.diagram": scoped("case", "case_or_404"),
    "cases.attachment": scoped("attachment", "case_or_404"),
    # -- the reviewer's workbench (审批工作台) -------------------------------------------------------------------------
    "workbench.claim": scoped("task", "task_or_404"),
    "workbench.unclaim": scoped("task", "case_or_404"),
    "workbench.send_back": scoped("task", "task_or_404"),
    "workbench.reassign": scoped("task", "_person_action"),
    "workbench.delegate": scoped("task", "_person_action"),
    "workbench.add_signer": scoped("task", "_person_action"),
    "workbench.urge": scoped("task", "case_or_404"),
    "workbench.bulk": scoped("task", "task_or_404"),
    "workbench.withdraw": scoped("case", "case_or_404"),
    "workbench.copy": scoped("case", "case_or_404"),
    "workbench.comment": scoped("case", "case_or_404"),
    "workbench.copied": logged_in(),
    "workbench.overdue_below": logged_in(),
    "workbench.notifications": logged_in(),
    "workbench.read_notifications": logged_in(),
    "workbench.open_notification": scoped("notification", "row.user_id != me().id"),
    "workbench.save_view": logged_in(),
    "workbench.delete_view": scoped("saved_view", "view.user_id != me().id"),
    # -- background jobs (imports and other long work) ---------------------------------------------------------------
    "jobs.index": logged_in(),
    "jobs.show": scoped("job", "job_or_404"),
    "jobs.status": scoped("job", "job_or_404"),
    "jobs.cancel": scoped("job", "job_or_404"),
    "jobs.retry": scoped("job", "job_or_404"),
    "jobs.download": scoped("job", "job_or_404"),
    # -- students ----------------------------------------------------------------------------------------------------
    "students.search": logged_in(),
    "students.detail": scoped("student", "student_or_404"),
    "students.change_class": scoped("student", "student_or_404", R.SCHOOL_REGISTRAR),
    "students.start": scoped("student", "student_or_404"),
    # -- personal data: who read a student, and whether the logs are intact --------------------------------------------
    "access_log.student": scoped("student", "student_or_404", *AUTHORITIES),
    "access_log.verify": roles(R.PROVINCE_OFFICER, R.NATIONAL_OFFICER, R.AUDIT_ADMINISTRATOR),
    "access_log.by_user": roles(R.AUDIT_ADMINISTRATOR),  # users of the auditor's subtree only
    # -- sign-in past the password: second factor, session, the province's policy ---------------------------------
    "signin.second_factor": public("the login's second step, for the user whose password was right (in the session)"),
    "signin.enroll": public("the login's second step at the first sign-in that needs it (the pending user)"),
    "signin.keepalive": logged_in(),
    "signin.policy": roles(R.SECURITY_ADMINISTRATOR, at=PROVINCE),
    # One deployment's exchange with other provinces: a dead letter belongs to the deployment, named in the form.
    "federation.index": roles(R.PROVINCE_OFFICER, R.ADMINISTRATOR, at=PROVINCE),
    "federation.retry": roles(R.PROVINCE_OFFICER, R.ADMINISTRATOR, at=PROVINCE),
    # -- lifecycle ---------------------------------------------------------------------------------------------------
    "lifecycle.pending": logged_in(),
    "lifecycle.cleanup": scoped("case", "cleanable_case_or_404", R.SCHOOL_REGISTRAR, R.COUNTY_OFFICER),
    "lifecycle.status_changes": logged_in(),
    "lifecycle.graduates": logged_in(),
    "lifecycle.graduates_for_admission": roles(R.COUNTY_OFFICER),
    "lifecycle.rejected": logged_in(),
    "lifecycle.reject": scoped("student", "student_or_404", R.COUNTY_OFFICER),
    "lifecycle.graduation_classes": roles(R.SCHOOL_REGISTRAR),
    "lifecycle.graduate": roles(R.SCHOOL_REGISTRAR),
    "lifecycle.graduate_senior": roles(R.SCHOOL_REGISTRAR),
    "lifecycle.graduation_info": scoped("student", "student_or_404", R.SCHOOL_REGISTRAR),
    "lifecycle.promotion_settings": roles(R.PROVINCE_OFFICER),
    "lifecycle.promotion_undo": scoped("promotion_run", "run.org_id != me().org_id", R.PROVINCE_OFFICER),
    "lifecycle.promotion_run": scoped("promotion_run", "run.org_id != me().org_id", R.PROVINCE_OFFICER),
    "lifecycle.change_types": roles(R.POLICY_OFFICER, R.PROVINCE_OFFICER),
    "lifecycle.dropouts": roles(*AUTHORITIES, R.SCHOOL_REGISTRAR),
    # -- transfers ---------------------------------------------------------------------------------------------------
    "transfers.index": logged_in(),
    "transfers.new": roles(R.SCHOOL_REGISTRAR),
    "transfers.cross_new": roles(R.SCHOOL_REGISTRAR),
    "transfers.relay": roles(R.NATIONAL_OFFICER, R.PROVINCE_OFFICER),
    "transfer_settings.index": roles(R.PROVINCE_OFFICER, R.POLICY_OFFICER),
    "transfer_settings.update": roles(R.PROVINCE_OFFICER, R.POLICY_OFFICER),
    # -- registration ------------------------------------------------------------------------------------------------
    "registration.index": roles(*SCHOOL, R.SCHOOL_REVIEWER),
    "registration.school_review": roles(R.SCHOOL_REGISTRAR, R.SCHOOL_REVIEWER),
    "registration.new": roles(*SCHOOL),
    "registration.template": roles(*SCHOOL),
    "registration.divisions": logged_in(),
    "registration.import_file": roles(*SCHOOL),
    "registration.import_errors": scoped("upload", "uploads.", *SCHOOL),
    "registration.problems": roles(
        R.SCHOOL_REGISTRAR, R.SCHOOL_REVIEWER, R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER
    ),
    "registration.photo_upload": roles(*SCHOOL),
    "registration.photo_control": roles(*AUTHORITIES),
    "registration.authority": roles(R.COUNTY_OFFICER),
    "registration.authority_decide": roles(R.COUNTY_OFFICER),
    "registration.opening": roles(R.PROVINCE_OFFICER),
    "registration.g_numbers": roles(R.NATIONAL_OFFICER),
    "registration.lookup": roles(*SCHOOL, R.SCHOOL_REVIEWER, R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    # -- admissions --------------------------------------------------------------------------------------------------
    "admissions.classes": roles(R.SCHOOL_REGISTRAR),
    "admissions.preview": roles(R.SCHOOL_REGISTRAR),
    "admissions.assign_auto": roles(R.SCHOOL_REGISTRAR),
    "admissions.assign_manual": roles(R.SCHOOL_REGISTRAR),
    "admissions.results": roles(R.COUNTY_OFFICER),
    "admissions.results_template": roles(R.COUNTY_OFFICER),
    "admissions.results_import": roles(R.COUNTY_OFFICER),
    "admissions.results_refused": scoped("upload", "uploads.", R.COUNTY_OFFICER),
    "admissions.results_add": roles(R.COUNTY_OFFICER),
    "admissions.unified": roles(R.SCHOOL_REGISTRAR),
    "admissions.unified_admit": roles(R.SCHOOL_REGISTRAR),
    "admissions.review": roles(R.COUNTY_OFFICER),
    "admissions.review_decide": roles(R.COUNTY_OFFICER),
    "admissions.self_admission": roles(R.SCHOOL_REGISTRAR),
    "admissions.self_admission_save": roles(R.SCHOOL_REGISTRAR),
    "admissions.cross_province": roles(R.SCHOOL_REGISTRAR),
    "admissions.origin": roles(R.COUNTY_OFFICER),
    "admissions.origin_decide": roles(R.COUNTY_OFFICER),
    "admissions.pull": roles(R.SCHOOL_REGISTRAR),
    "admissions.pull_archive": roles(R.SCHOOL_REGISTRAR),
    "admissions.plans": roles(R.COUNTY_OFFICER, R.SCHOOL_REGISTRAR),
    "admissions.plans_set": roles(R.COUNTY_OFFICER),
    "admissions.plans_change": roles(R.SCHOOL_REGISTRAR),
    # -- a school's terms, cohorts and classes -----------------------------------------------------------------------
    "terms.index": roles(*TERMS),
    "terms.create": roles(*TERMS),
    "terms.make_current": scoped("own_term", "own_term_or_404", *TERMS),
    "terms.edit": scoped("own_term", "own_term_or_404", *TERMS),
    "terms.confirm": scoped("county_term", "terms.confirm", *TERMS),
    "school_classes.cohorts": roles(R.SCHOOL_REGISTRAR),
    "school_classes.cohort_add": roles(R.SCHOOL_REGISTRAR),
    "school_classes.cohort_edit": scoped("cohort", "own_cohort_or_404", R.SCHOOL_REGISTRAR),
    "school_classes.cohort_delete": scoped("cohort", "own_cohort_or_404", R.SCHOOL_REGISTRAR),
    "school_classes.classes": roles(R.SCHOOL_REGISTRAR),
    "school_classes.class_add": roles(R.SCHOOL_REGISTRAR),
    "school_classes.class_edit": scoped("class", "own_class_or_404", R.SCHOOL_REGISTRAR),
    "school_classes.class_delete": scoped("class", "own_class_or_404", R.SCHOOL_REGISTRAR),
    "school_classes.class_merge": scoped("class", "own_class_or_404", R.SCHOOL_REGISTRAR),
    "school_changes.index": roles(R.COUNTY_OFFICER),
    "school_changes.start": roles(R.COUNTY_OFFICER),  # a school of the county, else 404
    "quality.index": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER, R.SCHOOL_REGISTRAR),
    "quality.open_campaign": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    "quality.detail": scoped(
        "quality_campaign", "campaign_or_404", R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER, R.SCHOOL_REGISTRAR
    ),
    "quality.close": scoped(
        "quality_campaign", "campaign_or_404", R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER
    ),
    "parameters.system": roles(R.PROVINCE_OFFICER, at=PROVINCE),
    "parameters.system_save": roles(R.PROVINCE_OFFICER, at=PROVINCE),
    "parameters.controlled": roles(R.PROVINCE_OFFICER, at=PROVINCE),
    "class_sizes.index": roles(*CLASS_SIZES),
    "class_sizes.update": roles(*CLASS_SIZES),
    "class_sizes.clear": scoped("class_size_setting", "class_size_setting_or_404", *CLASS_SIZES),
    # -- shared by every province: the national holiday calendar and the diagrams ---------------------------------
    "holidays.index": roles(R.NATIONAL_OFFICER, R.PROVINCE_OFFICER),
    "holidays.add": roles(R.NATIONAL_OFFICER),
    "holidays.delete": roles(R.NATIONAL_OFFICER),
    "processes.index": roles(R.POLICY_OFFICER),
    "processes.flow": roles(R.POLICY_OFFICER),
    "processes.version": roles(R.POLICY_OFFICER),
    "processes.download": roles(R.POLICY_OFFICER),
    "processes.new_draft": roles(R.POLICY_OFFICER),
    "processes.draft": roles(R.POLICY_OFFICER),
    "processes.draft_xml": roles(R.POLICY_OFFICER),
    "processes.save_draft": roles(R.POLICY_OFFICER),
    "processes.run_scenarios": roles(R.POLICY_OFFICER),
    "processes.publish": roles(R.POLICY_OFFICER),
    "processes.discard": roles(R.POLICY_OFFICER),
    "processes.diff": roles(R.POLICY_OFFICER),
    "processes.migrate": roles(R.POLICY_OFFICER),
    # -- 统计报表 (F-57): ?org= is looked up within the user's subtree (404 elsewhere, tests/test_reports.py)
    "reports.index": roles(
        R.SCHOOL_REGISTRAR, R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER, R.NATIONAL_OFFICER
    ),
    "reports.export": roles(
        R.SCHOOL_REGISTRAR, R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER, R.NATIONAL_OFFICER
    ),
    "reports.refresh": roles(R.PROVINCE_OFFICER, R.NATIONAL_OFFICER),
    # -- 数据交换 (F-63): tokens issued by administrators; the API answers bearer tokens only (tests/test_feed.py) --
    "feed.tokens": roles(R.ADMINISTRATOR),
    "feed.issue": roles(R.ADMINISTRATOR),
    "feed.revoke": scoped("api_token", "api_token_or_404", R.ADMINISTRATOR),
    "api.changes": public("a bearer token of its own instead of a login: 401 without one (tests/test_feed.py)"),
    "api.openapi": public("the API's published description, no data"),
    # -- 家长核对 (F-59): the school's side; a homeroom teacher's statistics and students are its own classes'
    "families.index": roles(*SCHOOL),
    "families.form_pdf": scoped("student", "student_or_404", *SCHOOL),
    "families.photo": scoped("confirmation_photo", "student_or_404", *SCHOOL),
    "families.reset_code": scoped("student", "student_or_404", *SCHOOL),
    "families.upload": roles(*SCHOOL),
    "families.reset_password": roles(*SCHOOL),
    "families.decide": scoped("family_request", "family_request_or_404", *SCHOOL),
    # -- 家长服务平台 (F-62): parents, by their own sign-in
    "portal.login": public("the parents' sign-in page"),
    "portal.register": public("a parent registers with the school-issued code and the phone on record"),
    "portal.logout": parent(),
    "portal.password": parent(),
    "portal.index": parent(),
    "portal.child": parent("own_child_or_404"),
    "portal.form_pdf": parent("own_child_or_404"),
    "portal.photo": parent("own_child_or_404"),
    "portal.upload": parent("own_child_or_404"),
    "portal.correct": parent("own_child_or_404"),
    "portal.case": parent("child_case_or_404"),
    # -- 电子签章 (F-61): the security administrator holds the keys; anybody verifies a PDF
    "seals.index": roles(R.SECURITY_ADMINISTRATOR),
    "seals.create": roles(R.SECURITY_ADMINISTRATOR),
    "seals.verify": public("anybody checks a downloaded PDF; it answers with the sealing organisation only"),
    # -- prints (学籍卡片, 学生花名册, 全校批量打印): a homeroom teacher's roster of another class is 404 too
    "prints.index": roles(R.SCHOOL_REGISTRAR, R.SCHOOL_REVIEWER, R.HOMEROOM_TEACHER),
    "prints.card": scoped("student", "student_or_404"),
    "prints.roster": scoped("class", "own_class_or_404", R.SCHOOL_REGISTRAR, R.SCHOOL_REVIEWER, R.HOMEROOM_TEACHER),
    "prints.school": roles(R.SCHOOL_REGISTRAR),
    "prints.batch": scoped("job", "job_or_404", R.SCHOOL_REGISTRAR),
    # -- 公文流转 (F-60): the county drafts; the later steps are inbox tasks ---------------------------------------
    "documents.index": roles(*AUTHORITIES),
    "documents.new": roles(R.COUNTY_OFFICER),
    "documents.create": roles(R.COUNTY_OFFICER),
    "documents.detail": scoped("document_request", "document_request_or_404", *AUTHORITIES),
    "documents.attachment": scoped("document_request", "document_request_or_404", *AUTHORITIES),
    # -- 北京条件 (F-65): schools by code within the officer's subtree (school_by_code refuses the others)
    "regional.index": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    "regional.quota": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    "regional.profile": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    "regional.override": roles(R.COUNTY_OFFICER, R.CITY_OFFICER, R.PROVINCE_OFFICER),
    # -- 入学注册 / 学期注册 (F-15): the school's own students of its current term
    "term_registration.index": roles(R.SCHOOL_REGISTRAR),
    "term_registration.act": roles(R.SCHOOL_REGISTRAR),
    # -- 学前调档 / 数据核对转入 (F-10): the school's own staged records
    "staged_intake.index": roles(R.SCHOOL_REGISTRAR),
    "staged_intake.act": roles(R.SCHOOL_REGISTRAR),
    "staged_intake.export": roles(R.SCHOOL_REGISTRAR),
    "staged_intake.template": roles(R.SCHOOL_REGISTRAR),
    "staged_intake.data_source": roles(R.SCHOOL_REGISTRAR),
    "staged_intake.correct": scoped("staged_record", "staged_record_or_404", R.SCHOOL_REGISTRAR),
}


def unclassified(endpoints: dict[str, str]) -> list[str]:
    """``endpoints``: endpoint → "RULE [METHODS]" of the app's URL map. Returns one line per route missing from
    ``ROUTES``, each saying what to add; empty when every route is classified."""
    return [
        f'{rule} (endpoint "{endpoint}") is not classified: add to ROUTES in tests/access_matrix.py a line\n'
        f'    "{endpoint}": logged_in() | roles(Role.X, ...) | scoped("kind", "loader", Role.X, ...) | public("why"),\n'
        "  (see how to choose at the top of that file)"
        for endpoint, rule in sorted(endpoints.items())
        if endpoint not in ROUTES
    ]


# -- personal data (issue 22 item 2) ----------------------------------------------------------------------------------
# Routes that show pupils' personal data (names with ID numbers, birth dates, families, addresses; lists of them;
# exports): tests/test_access_coverage.py visits each one and asserts an access-log row of who, when, from where and
# which students. Every other route is listed in NO_PERSONAL_DATA; a route in neither fails that test, and a route of
# NO_PERSONAL_DATA whose page shows a pupil's name or ID number fails it too.
PERSONAL_DATA: frozenset[str] = frozenset(
    {
        "jobs.download",
        "api.changes",
        "prints.card",
        "prints.roster",
        "prints.batch",
        "families.index",
        "families.form_pdf",
        "families.photo",
        "portal.index",
        "portal.child",
        "portal.form_pdf",
        "portal.photo",
        "portal.case",
        "quality.detail",
        "students.search",
        "students.detail",
        "students.start",
        "inbox.index",
        "inbox.done",
        "inbox.task",
        "cases.mine",
        "cases.deletions",
        "cases.detail",
        "cases.attachment",
        "workbench.copied",
        "workbench.overdue_below",
        "lifecycle.pending",
        "lifecycle.status_changes",
        "lifecycle.graduates",
        "lifecycle.graduates_for_admission",
        "lifecycle.rejected",
        "lifecycle.graduation_classes",
        "registration.index",
        "registration.authority",
        "registration.problems",
        "registration.lookup",
        "admissions.classes",
        "admissions.results",
        "admissions.review",
        "admissions.origin",
        "admissions.pull",
        "admissions.unified",
        "transfers.index",
        "access_log.student",
        "term_registration.index",
        "staged_intake.index",
        "staged_intake.export",
        "staged_intake.correct",
    }
)
NO_PERSONAL_DATA: frozenset[str] = frozenset(
    {
        # 公文流转 requests are about counties and schools; their attachments are the county's own files
        "documents.index",
        "documents.new",
        "documents.create",
        "documents.detail",
        "documents.attachment",
        # 北京条件: quotas and school conditions, overrides with a shortened 学籍号 and no name
        "regional.index",
        "regional.quota",
        "regional.profile",
        "regional.override",
        "term_registration.act",
        "staged_intake.act",
        "staged_intake.template",
        "staged_intake.data_source",
        "lifecycle.promotion_run",
        "api.openapi",
        "families.upload",
        "families.reset_code",
        "families.reset_password",
        "families.decide",
        "portal.login",
        "portal.register",
        "portal.logout",
        "portal.password",
        "portal.upload",
        "portal.correct",
        "seals.index",
        "seals.create",
        "seals.verify",
        "federation.index",
        "federation.retry",
        "feed.issue",
        "feed.revoke",
        "feed.tokens",
        "parameters.controlled",
        "parameters.system",
        "parameters.system_save",
        "permissions.index",
        "prints.index",
        "prints.school",
        "quality.close",
        "quality.index",
        "quality.open_campaign",
        "reports.export",
        "reports.index",
        "reports.refresh",
        "school_changes.index",
        "school_changes.start",
        "access_log.by_user",
        "access_log.verify",
        "admin.disable",
        "admin.enable",
        "admin.new_user",
        "admin.org",
        "admin.org_import",
        "admin.org_import_commit",
        "admin.org_import_failed",
        "admin.org_template",
        "admin.orgs_index",
        "admin.reopen",
        "admin.reset",
        "admin.roles",
        "admin.user",
        "admin.users",
        "admissions.assign_auto",
        "admissions.assign_manual",
        "admissions.cross_province",
        "admissions.origin_decide",
        "admissions.plans",
        "admissions.plans_change",
        "admissions.plans_set",
        "admissions.preview",
        "admissions.pull_archive",
        "admissions.results_add",
        "admissions.results_import",
        "admissions.results_refused",
        "admissions.results_template",
        "admissions.review_decide",
        "admissions.self_admission",
        "admissions.self_admission_save",
        "admissions.unified_admit",
        "auth.change_password",
        "auth.login",
        "auth.logout",
        "cases.diagram",
        "class_sizes.clear",
        "class_sizes.index",
        "class_sizes.update",
        "holidays.add",
        "holidays.delete",
        "holidays.index",
        "jobs.cancel",
        "jobs.index",
        "jobs.retry",
        "jobs.show",
        "jobs.status",
        "lifecycle.change_types",
        "lifecycle.cleanup",
        "lifecycle.dropouts",
        "lifecycle.graduate",
        "lifecycle.graduate_senior",
        "lifecycle.graduation_info",
        "lifecycle.promotion_settings",
        "lifecycle.promotion_undo",
        "lifecycle.reject",
        "processes.check_draft",
        "processes.choices",
        "processes.diff",
        "processes.discard",
        "processes.download",
        "processes.draft",
        "processes.draft_xml",
        "processes.flow",
        "processes.index",
        "processes.migrate",
        "processes.new_draft",
        "processes.preview_form",
        "processes.publish",
        "processes.run_scenarios",
        "processes.save_draft",
        "processes.version",
        "registration.authority_decide",
        "registration.divisions",
        "registration.g_numbers",
        "registration.import_errors",
        "registration.import_file",
        "registration.new",
        "registration.opening",
        "registration.photo_control",
        "registration.photo_upload",
        "registration.school_review",
        "registration.template",
        "school_classes.class_add",
        "school_classes.class_delete",
        "school_classes.class_edit",
        "school_classes.class_merge",
        "school_classes.classes",
        "school_classes.cohort_add",
        "school_classes.cohort_delete",
        "school_classes.cohort_edit",
        "school_classes.cohorts",
        "signin.enroll",
        "signin.keepalive",
        "signin.policy",
        "signin.second_factor",
        "static",
        "students.change_class",
        "terms.confirm",
        "terms.create",
        "terms.edit",
        "terms.index",
        "terms.make_current",
        "transfer_settings.index",
        "transfer_settings.update",
        "transfers.cross_new",
        "transfers.new",
        "transfers.relay",
        "vendor",
        "workbench.add_signer",
        "workbench.bulk",
        "workbench.claim",
        "workbench.comment",
        "workbench.copy",
        "workbench.delegate",
        "workbench.delete_view",
        "workbench.notifications",
        "workbench.open_notification",
        "workbench.read_notifications",
        "workbench.reassign",
        "workbench.save_view",
        "workbench.send_back",
        "workbench.unclaim",
        "workbench.urge",
        "workbench.withdraw",
    }
)
