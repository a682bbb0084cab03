"""The one place that decides who sees what (§2.2): every list and every object lookup goes through here.

A user sees its organisation's subtree (a prefix of ``OrgUnit.path``); a homeroom teacher only its own classes;
a case is visible where any of its parties lies in the user's subtree. Outside that, a record does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from models.calendar import Term
from models.class_size import ClassSizeLimit
from models.document_flow import DocumentRequest
from models.errors import NotFound
from models.family import FamilyRequest, ParentLink
from models.feed import ApiToken
from models.job import Job
from models.org import Cohort, OrgLevel, OrgUnit, School, SchoolClass
from models.staged_intake import StagedRecord
from models.student import RegistrationState, Student, StudentStatus, has_id_number, has_national_id
from models.user import ADMINISTRATOR_ROLES, Role, User
from models.workbench import CaseCopy
from models.workflow import CaseParty, InboxTask, ProcessInstance, ProcessVersion, TaskStatus

# The three administrators (三员分立) administer accounts, permissions and logs, and read no pupil's record.
SCHOOL_WIDE_ROLES = frozenset(Role) - {Role.HOMEROOM_TEACHER} - ADMINISTRATOR_ROLES
AUTHORITY_ROLES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)


def in_subtree(user: User, org_column: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """SQL predicate: the organisation in ``org_column`` lies in the user's subtree."""
    org = aliased(OrgUnit)
    return exists(select(org.id).where(org.id == org_column, org.path.startswith(user.org.path, autoescape=True)))


def units_visible_to(user: User, level: OrgLevel | None = None) -> Select[OrgUnit]:
    """The organisations (of one level, when given) in the user's subtree, in tree order."""
    query = select(OrgUnit).where(OrgUnit.path.startswith(user.org.path, autoescape=True)).order_by(OrgUnit.id)
    return query if level is None else query.where(OrgUnit.level == level)


def schools_visible_to(user: User) -> Select[OrgUnit]:
    """The schools in the user's subtree, in tree order."""
    return units_visible_to(user, OrgLevel.SCHOOL)


def students_visible_to(user: User) -> Select[Student]:
    query = select(Student).where(in_subtree(user, Student.school_id))
    if not user.roles & SCHOOL_WIDE_ROLES:
        own_classes = select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == user.id)
        query = query.where(Student.class_id.in_(own_classes))
    return query


def registrations_visible_to(user: User) -> Select[Student]:
    """Registrations not yet approved (§4.1) among the students the user sees; a teacher sees own classes."""
    return students_visible_to(user).where(Student.status == StudentStatus.REGISTERING)


def problem_records_visible_to(user: User, problem_type: str = "") -> Select[Student]:
    """问题学籍 in the user's scope, resolved and deleted ones included (they stay queryable, F-16)."""
    query = students_visible_to(user).where(Student.problem_state.is_not(None))
    return query.where(Student.problem_type == problem_type) if problem_type else query


def registered_in_province(user: User, name: str, id_doc_number: str) -> Select[Student]:
    """F-06: a non-deleted record with this name and ID number anywhere in the user's province (the one
    exception to the subtree rule, §2.2: it reveals existence, school and status only)."""
    province_id = user.org.ancestor_ids()[1] if len(user.org.ancestor_ids()) > 1 else user.org_id
    province_path = f"%/{province_id}/%"
    school = aliased(OrgUnit)
    return (
        select(Student)
        .join(school, school.id == Student.school_id)
        .where(
            Student.name == name,
            has_id_number(id_doc_number),
            Student.status != StudentStatus.DELETED,
            school.path.like(province_path),
        )
    )


def registrations_to_review_by(user: User) -> Select[Student]:
    """F-13: submitted registrations of the schools whose record authority is the user's organisation. Named as
    registering records (which every registration not yet approved is), so that ix_student_school_status finds them
    among a county's million students instead of a scan: this count is in every page's 待办 badge."""
    authority_schools = select(School.org_id).where(School.record_authority_id == user.org_id)
    return select(Student).where(
        Student.school_id.in_(authority_schools),
        Student.status == StudentStatus.REGISTERING,
        Student.registration_state == RegistrationState.SUBMITTED,
    )


def cases_visible_to(user: User) -> Select[ProcessInstance]:
    """Cases with a party in the user's subtree, and cases copied to the user (抄送: read and comment only)."""
    party_org = aliased(OrgUnit)
    visible_party = (
        select(CaseParty.id)
        .join(party_org, party_org.id == CaseParty.org_id)
        .where(CaseParty.instance_id == ProcessInstance.id, party_org.path.startswith(user.org.path, autoescape=True))
    )
    copied = select(CaseCopy.id).where(CaseCopy.instance_id == ProcessInstance.id, CaseCopy.user_id == user.id)
    return select(ProcessInstance).where(or_(exists(visible_party), exists(copied)))


def _holds_seat(user: User) -> ColumnElement[bool]:
    return and_(InboxTask.org_id == user.org_id, InboxTask.role.in_([r.value for r in user.roles]))


def tasks_actionable_by(user: User) -> Select[InboxTask]:
    """The user's inbox: tasks of a seat (organisation, role) the user holds, and tasks handed to the user by name
    (转办, 委派, 加签). A group task claimed by a colleague stays listed, with its holder, but only the holder acts
    (``may_act``)."""
    return select(InboxTask).where(or_(_holds_seat(user), InboxTask.claimed_by_id == user.id))


def open_tasks_actionable_by(user: User, *columns: Any) -> list[Select[Any]]:
    """The user's open tasks (``tasks_actionable_by``) as the branches of a UNION ALL, each reading ``columns``:
    one per seat the user holds, a range of the seat's index of open tasks in (created_at, id) order, and the
    tasks handed to the user by name outside those seats. The OR of ``tasks_actionable_by`` reads a seat's open
    tasks through a bitmap of both indexes, from the table, and so sorts them all to show a page of 50."""
    roles = sorted(role.value for role in user.roles)
    is_open = InboxTask.status == TaskStatus.OPEN
    seats = [select(*columns).where(InboxTask.org_id == user.org_id, InboxTask.role == role, is_open) for role in roles]
    handed = select(*columns).where(InboxTask.claimed_by_id == user.id, is_open)
    if roles:  # not a second time: the seats list them
        handed = handed.where(or_(InboxTask.org_id != user.org_id, InboxTask.role.not_in(roles)))
    return [*seats, handed]


def may_act(user: User, task: InboxTask) -> bool:
    """Only the holder acts on a claimed task; an unclaimed one, anyone of its seat."""
    if task.claimed_by_id is not None:
        return task.claimed_by_id == user.id
    return task.org_id == user.org_id and task.role in user.roles


def is_superior_of(user: User, org: OrgUnit) -> bool:
    """The user is an officer of an organisation strictly above ``org`` (a county over its schools, …)."""
    return user.has_role(*AUTHORITY_ROLES) and org.id != user.org_id and org.path.startswith(user.org.path)


def may_urge(user: User, task: InboxTask) -> bool:
    """催办: the case's initiator, or a superior organisation of the task's seat."""
    return task.instance.initiator_id == user.id or is_superior_of(user, task.org)


def copy_orgs_for(session: Session, user: User, case: ProcessInstance) -> list[OrgUnit]:
    """Organisations a case may be copied to as a whole: its parties, the user's own and the user's superiors."""
    parties = select(CaseParty.org_id).where(CaseParty.instance_id == case.id)
    query = select(OrgUnit).where(or_(OrgUnit.id.in_(parties), OrgUnit.id.in_(user.org.ancestor_ids())))
    return list(session.scalars(query.order_by(OrgUnit.path)))


def colleagues_for(session: Session, user: User, case: ProcessInstance, verb: str) -> Select[User]:
    """Whom ``verb`` may name: 转办 a user of the task's organisation holding its role (checked by the caller);
    委派 and 加签 a user of the actor's own subtree or above it; 抄送 also any party of the case."""
    ancestors = user.org.ancestor_ids()
    allowed = or_(OrgUnit.path.startswith(user.org.path, autoescape=True), OrgUnit.id.in_(ancestors))
    if verb == "copy":
        parties = select(CaseParty.org_id).where(CaseParty.instance_id == case.id)
        allowed = or_(allowed, OrgUnit.id.in_(parties))
    return (
        select(User)
        .join(OrgUnit, OrgUnit.id == User.org_id)
        .where(User.active, User.id != user.id, allowed)
        .options(contains_eager(User.org))  # each is listed with its organisation's name
        .order_by(OrgUnit.path, User.full_name)
    )


def student_or_404(session: Session, user: User, student_id: int) -> Student:
    student = session.scalars(students_visible_to(user).where(Student.id == student_id)).one_or_none()
    if student is None:
        raise NotFound()
    return student


def case_or_404(session: Session, user: User, instance_id: int) -> ProcessInstance:
    case = session.scalars(cases_visible_to(user).where(ProcessInstance.id == instance_id)).one_or_none()
    if case is None:
        raise NotFound()
    return case


# -- parents (F-62): a parent sees its own children, bound by their registration code, and nothing else ----------


def children_of(parent_id: int) -> Select[Student]:
    bound = select(ParentLink.student_id).where(ParentLink.parent_id == parent_id)
    return select(Student).where(Student.id.in_(bound), Student.status != StudentStatus.DELETED).order_by(Student.id)


def child_or_404(session: Session, parent_id: int, student_id: int) -> Student:
    student = session.scalars(children_of(parent_id).where(Student.id == student_id)).one_or_none()
    if student is None:
        raise NotFound()
    return student


def child_case_or_404(session: Session, parent_id: int, instance_id: int) -> ProcessInstance:
    """A case of one of the parent's children."""
    children = children_of(parent_id).with_only_columns(Student.id)
    case = session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id, ProcessInstance.student_id.in_(children))
    ).one_or_none()
    if case is None:
        raise NotFound()
    return case


def family_request_or_404(session: Session, user: User, request_id: int) -> FamilyRequest:
    """A parent's correction of a student the (school) user sees."""
    visible = students_visible_to(user).with_only_columns(Student.id)
    row = session.scalars(
        select(FamilyRequest).where(FamilyRequest.id == request_id, FamilyRequest.student_id.in_(visible))
    ).one_or_none()
    if row is None:
        raise NotFound()
    return row


def may_clean_up(user: User, case: ProcessInstance) -> bool:
    """在办业务清理 (F-34): the school's registrar for its own cases, a county officer for its schools' cases."""
    if user.has_role(Role.SCHOOL_REGISTRAR) and user.org_id == case.org_id:
        return True
    return user.has_role(Role.COUNTY_OFFICER) and case.org.path.startswith(user.org.path)


def cleanable_case_or_404(session: Session, user: User, instance_id: int) -> ProcessInstance:
    case = case_or_404(session, user, instance_id)
    if not may_clean_up(user, case):
        raise NotFound()
    return case


def task_or_404(session: Session, user: User, task_id: int) -> InboxTask:
    # The task page reads the case, its version and student next: read with the row (the version without its XML
    # and spec JSON, which the engine reads only when its cache of that version misses).
    case = joinedload(InboxTask.instance)
    task = session.scalars(
        tasks_actionable_by(user)
        .where(InboxTask.id == task_id)
        .options(
            case.joinedload(ProcessInstance.version).defer(ProcessVersion.bpmn_xml).defer(ProcessVersion.spec_json),
            case.joinedload(ProcessInstance.student),
        )
    ).one_or_none()
    if task is None:
        raise NotFound()
    return task


# -- transfers (F-29…F-32) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvinceLookup:
    """What a province-wide lookup may reveal (F-06, §2.2): existence, current school and status only.
    ``student_id`` is for starting a case on the server; pages never show it."""

    student_id: int
    school_name: str
    status_label: str
    has_open_case: bool


def _province_path(user: User) -> str:
    parts = user.org.path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/"  # national / province


def lookup_in_province(session: Session, user: User, national_student_id: str, name: str) -> ProvinceLookup | None:
    """The student with this national number *and* name in the user's province, or None (nothing else leaks)."""
    school = aliased(OrgUnit)
    student = session.scalars(
        select(Student)
        .join(school, school.id == Student.school_id)
        .where(
            has_national_id(national_student_id),
            Student.name == name.strip(),
            school.path.startswith(_province_path(user), autoescape=True),
        )
    ).one_or_none()
    if student is None:
        return None
    return ProvinceLookup(student.id, student.school.name, student.status_label, student.open_case_id is not None)


# Which transfer cases are "incoming" (by their receiving school) and "outgoing" (by the student's school).
INCOMING_FLOWS = ("transfer_in_province", "transfer_cross_province_in")
OUTGOING_FLOWS = ("transfer_in_province", "transfer_cross_province_out")


def transfers_visible_to(user: User, direction: str) -> Select[ProcessInstance]:
    """Transfers into (``in``) or out of (``out``) the user's subtree: a school's own, a county's schools'."""
    school = aliased(OrgUnit)
    incoming = direction == "in"
    side = ProcessInstance.to_school_id if incoming else ProcessInstance.org_id
    return (
        select(ProcessInstance)
        .join(school, school.id == side)
        .where(
            ProcessInstance.process_key.in_(INCOMING_FLOWS if incoming else OUTGOING_FLOWS),
            school.path.startswith(user.org.path, autoescape=True),
        )
    )


def cases_awaiting(user: User) -> Select[int]:
    """Ids of the cases with an open task the user may act on (their 待办)."""
    return (
        tasks_actionable_by(user)
        .where(InboxTask.status == TaskStatus.OPEN)
        .with_only_columns(InboxTask.instance_id)
        .distinct()
    )


def common_superior(session: Session, school_ids: list[int]) -> OrgUnit:
    """共同上级 (§2.4): the lowest common ancestor of the schools' record authorities in the org tree. Same county →
    the county; same city → the city; same province (or a municipality's counties) → the province; else national."""
    authorities = [session.get_one(School, school_id).record_authority for school_id in school_ids]
    chains = [unit.ancestor_ids() for unit in authorities]
    common = None
    for ids in zip(*chains, strict=False):
        if len(set(ids)) != 1:
            break
        common = ids[0]
    if common is None:
        raise NotFound()
    return session.get_one(OrgUnit, common)


# -- school setup (F-03, F-04, F-52): a unit edits its own terms, a school its own cohorts and classes ------------

Row = TypeVar("Row")


def _one_or_404(session: Session, query: Select[Row]) -> Row:
    found = session.scalars(query).one_or_none()
    if found is None:
        raise NotFound()
    return found


def own_term_or_404(session: Session, user: User, term_id: int) -> Term:
    return _one_or_404(session, select(Term).where(Term.id == term_id, Term.org_id == user.org_id))


def staged_record_or_404(session: Session, user: User, staged_id: int) -> StagedRecord:
    """A staged record (F-10) is its school's until it is moved into the registration pipeline."""
    return _one_or_404(
        session, select(StagedRecord).where(StagedRecord.id == staged_id, StagedRecord.school_id == user.org_id)
    )


def own_cohort_or_404(session: Session, user: User, cohort_id: int) -> Cohort:
    return _one_or_404(session, select(Cohort).where(Cohort.id == cohort_id, Cohort.school_id == user.org_id))


def own_class_or_404(session: Session, user: User, class_id: int) -> SchoolClass:
    query = (
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(SchoolClass.id == class_id, Cohort.school_id == user.org_id)
    )
    return _one_or_404(session, query)


def class_size_setting_or_404(session: Session, user: User, setting_id: int) -> ClassSizeLimit:
    """A 班额 setting of the user's organisation or of a unit below it (never one set above)."""
    query = select(ClassSizeLimit).where(ClassSizeLimit.id == setting_id, in_subtree(user, ClassSizeLimit.org_id))
    return _one_or_404(session, query)


# -- jobs: a user sees the jobs they started, and those started in their own organisation -------------------------


def jobs_visible_to(user: User, *, mine_only: bool = False) -> Select[Job]:
    if mine_only:
        return select(Job).where(Job.started_by_id == user.id)
    return select(Job).where(or_(Job.started_by_id == user.id, Job.org_id == user.org_id))


def job_or_404(session: Session, user: User, job_id: int) -> Job:
    return _one_or_404(session, jobs_visible_to(user).where(Job.id == job_id))


# -- accounts (F-05): an administrator manages the users of its organisation and of the units below it ----------


def administers(user: User, org: OrgUnit) -> bool:
    """An administrator manages accounts at its own organisation and anywhere below it."""
    return user.has_role(Role.ADMINISTRATOR) and org.path.startswith(user.org.path)


def units_administered_by(user: User) -> Select[OrgUnit]:
    """The organisations where ``user`` may create accounts, in tree order (none unless an administrator)."""
    query = select(OrgUnit).where(OrgUnit.path.startswith(user.org.path, autoescape=True)).order_by(OrgUnit.path)
    return query if user.has_role(Role.ADMINISTRATOR) else query.where(OrgUnit.id.is_(None))


def units_sealed_by(user: User) -> Select[OrgUnit]:
    """印章制作 (F-61): the security administrator's organisation and those below it (none for anyone else)."""
    query = select(OrgUnit).where(OrgUnit.path.startswith(user.org.path, autoescape=True)).order_by(OrgUnit.path)
    return query if user.has_role(Role.SECURITY_ADMINISTRATOR) else query.where(OrgUnit.id.is_(None))


def seal_unit_or_404(session: Session, user: User, org_id: int) -> OrgUnit:
    unit = session.scalars(units_sealed_by(user).where(OrgUnit.id == org_id)).one_or_none()
    if unit is None:
        raise NotFound()
    return unit


def users_administered_by(user: User) -> Select[User]:
    """The accounts ``user`` manages: its subtree's, itself included (none unless an administrator)."""
    query = select(User).join(OrgUnit, OrgUnit.id == User.org_id)
    if not user.has_role(Role.ADMINISTRATOR):
        return query.where(User.id.is_(None))
    return query.where(OrgUnit.path.startswith(user.org.path, autoescape=True))


def administered_user_or_404(session: Session, user: User, user_id: int) -> User:
    return _one_or_404(session, users_administered_by(user).where(User.id == user_id))


def administered_unit_or_404(session: Session, user: User, org_id: int) -> OrgUnit:
    return _one_or_404(session, units_administered_by(user).where(OrgUnit.id == org_id))


def api_token_or_404(session: Session, user: User, token_id: int) -> ApiToken:
    """A change-feed token (F-63) issued for a unit the administrator manages."""
    administered = units_administered_by(user).with_only_columns(OrgUnit.id)
    return _one_or_404(session, select(ApiToken).where(ApiToken.id == token_id, ApiToken.org_id.in_(administered)))


def document_requests_visible_to(user: User) -> Select[DocumentRequest]:
    """公文流转 (F-60): a county's requests, seen by the county and the authorities above it."""
    county = aliased(OrgUnit)
    return (
        select(DocumentRequest)
        .join(county, county.id == DocumentRequest.county_id)
        .where(county.path.startswith(user.org.path, autoescape=True))
    )


def document_request_or_404(session: Session, user: User, request_id: int) -> DocumentRequest:
    if not user.has_role(*AUTHORITY_ROLES):
        raise NotFound()
    return _one_or_404(session, document_requests_visible_to(user).where(DocumentRequest.id == request_id))
