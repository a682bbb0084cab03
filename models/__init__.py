"""Typed SQLAlchemy models of XueJi and the queries that carry business meaning.

Importing this package registers every table on ``Base.metadata`` (Alembic and the tests rely on it).
"""

from models.attachment import Attachment
from models.audit import AuditEvent
from models.base import Base
from models.calendar import AcademicYear, Term
from models.errors import DomainError
from models.org import Campus, Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage
from models.photo import StudentPhoto
from models.settings import ControlledField, PhotoCollection, RegistrationOpening
from models.student import DedupStatus, Guardian, RegistrationState, Student, StudentStatus
from models.user import Role, User, UserRole
from models.workflow import (
    CaseParty,
    CaseStatus,
    InboxTask,
    InstanceEvent,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
)

__all__ = [
    "AcademicYear",
    "Attachment",
    "ControlledField",
    "DedupStatus",
    "PhotoCollection",
    "RegistrationOpening",
    "RegistrationState",
    "StudentPhoto",
    "AuditEvent",
    "Base",
    "Campus",
    "CaseParty",
    "CaseStatus",
    "Cohort",
    "DomainError",
    "Guardian",
    "InboxTask",
    "InstanceEvent",
    "OrgLevel",
    "OrgUnit",
    "ProcessInstance",
    "ProcessVersion",
    "Role",
    "School",
    "SchoolClass",
    "Stage",
    "Student",
    "StudentStatus",
    "TaskStatus",
    "Term",
    "User",
    "UserRole",
]
