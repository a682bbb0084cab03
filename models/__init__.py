"""Typed SQLAlchemy models of XueJi and the queries that carry business meaning.

Importing this package registers every table on ``Base.metadata`` (Alembic and the tests rely on it).
"""

from models.audit import AuditEvent
from models.base import Base
from models.business_calendar import BusinessPeriod, PeriodKind
from models.calendar import AcademicYear, Term
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.org import Campus, Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage
from models.student import Guardian, Student, StudentStatus
from models.transfer_rules import CityReviewRule, OutboundReview, TransferScope
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
    "AuditEvent",
    "Base",
    "BusinessPeriod",
    "CityReviewRule",
    "Campus",
    "CaseParty",
    "CaseStatus",
    "Cohort",
    "DomainError",
    "ExchangeMessage",
    "Guardian",
    "InboxTask",
    "InstanceEvent",
    "MessageStatus",
    "OrgLevel",
    "OrgUnit",
    "OutboundReview",
    "PeriodKind",
    "ProcessInstance",
    "ProcessVersion",
    "Role",
    "School",
    "SchoolClass",
    "Stage",
    "Student",
    "StudentStatus",
    "TaskStatus",
    "TransferScope",
    "Term",
    "User",
    "UserRole",
]
