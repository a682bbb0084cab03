"""Typed SQLAlchemy models of XueJi and the queries that carry business meaning.

Importing this package registers every table on ``Base.metadata`` (Alembic and the tests rely on it).
"""

from models.access_log import AccessLog
from models.admission import Admission, AdmissionPlan, AdmissionResult, AdmissionStatus
from models.attachment import Attachment
from models.audit import AuditEvent
from models.base import Base
from models.business_calendar import BusinessPeriod, PeriodKind
from models.calendar import AcademicYear, Term
from models.class_size import ClassSizeLimit
from models.document_flow import DocumentAttachment, DocumentRequest
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.family import ConfirmationForm, FamilyAccessLog, FamilyRequest, ParentAccount, ParentLink
from models.federation import CasePeer, DeadLetter, InboxMessage, InboxStatus
from models.feed import ApiToken
from models.holidays import Holiday
from models.job import Job, JobState
from models.lifecycle import GraduateRejection, PromotionRun, StatusChangeType
from models.numbers import NumberCounter
from models.org import Campus, Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage
from models.permissions import RolePermissionOff
from models.photo import StudentPhoto
from models.quality import QualityBaseline, QualityCampaign
from models.regional import GradeQuota, RegionalOverride, SchoolAdmissionProfile
from models.reports import ReportCount
from models.seal_key import SealKey
from models.seals import Seal
from models.settings import ControlledField, PhotoCollection, ProvinceControlledField, RegistrationOpening
from models.staged_intake import StagedRecord
from models.student import DedupStatus, Guardian, RegistrationState, Student, StudentStatus
from models.system_settings import SystemSetting
from models.term_registration import TermRegistration
from models.transfer_rules import CityReviewRule, OutboundReview, TransferScope
from models.user import Role, SignInPolicy, User, UserRole
from models.workbench import CaseCopy, NoticeKind, Notification, SavedView
from models.workflow import (
    CaseParty,
    CaseStatus,
    InboxTask,
    InstanceEvent,
    ProcessDraft,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
)

__all__ = [
    "ConfirmationForm",
    "FamilyAccessLog",
    "FamilyRequest",
    "ParentAccount",
    "ParentLink",
    "SealKey",
    "RolePermissionOff",
    "QualityBaseline",
    "QualityCampaign",
    "SystemSetting",
    "AccessLog",
    "ApiToken",
    "ReportCount",
    "Seal",
    "StagedRecord",
    "TermRegistration",
    "DocumentAttachment",
    "DocumentRequest",
    "GradeQuota",
    "NumberCounter",
    "RegionalOverride",
    "SchoolAdmissionProfile",
    "Admission",
    "AdmissionPlan",
    "AdmissionResult",
    "AdmissionStatus",
    "AcademicYear",
    "Attachment",
    "CaseCopy",
    "Notification",
    "NoticeKind",
    "SavedView",
    "ControlledField",
    "ProvinceControlledField",
    "DedupStatus",
    "PhotoCollection",
    "RegistrationOpening",
    "RegistrationState",
    "StudentPhoto",
    "AuditEvent",
    "Base",
    "BusinessPeriod",
    "CityReviewRule",
    "ClassSizeLimit",
    "Campus",
    "CaseParty",
    "CaseStatus",
    "Cohort",
    "DomainError",
    "GraduateRejection",
    "ExchangeMessage",
    "CasePeer",
    "DeadLetter",
    "InboxMessage",
    "InboxStatus",
    "Guardian",
    "Holiday",
    "Job",
    "JobState",
    "InboxTask",
    "InstanceEvent",
    "MessageStatus",
    "OrgLevel",
    "OrgUnit",
    "ProcessDraft",
    "OutboundReview",
    "PeriodKind",
    "ProcessInstance",
    "ProcessVersion",
    "PromotionRun",
    "Role",
    "SignInPolicy",
    "School",
    "SchoolClass",
    "Stage",
    "Student",
    "StatusChangeType",
    "StudentStatus",
    "TaskStatus",
    "TransferScope",
    "Term",
    "User",
    "UserRole",
]
