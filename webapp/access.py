"""All that views call to authorise: login, roles, and objects loaded within the user's jurisdiction.

Outside the user's jurisdiction the answer is 404, not 403: nobody learns that a record exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask_login import LoginManager, current_user

from handlers.accounts import PasswordPolicy
from models import jurisdiction, permissions
from models.calendar import Term
from models.class_size import ClassSizeLimit
from models.document_flow import DocumentRequest
from models.errors import NotFound
from models.family import FamilyRequest
from models.feed import ApiToken
from models.job import Job
from models.org import Cohort, OrgLevel, OrgUnit, SchoolClass
from models.staged_intake import StagedRecord
from models.student import Student
from models.user import Role, User
from models.workflow import InboxTask, ProcessInstance
from webapp.db import db

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def password_policy() -> PasswordPolicy:
    """The configured password policy (PASSWORD_MIN_LENGTH, PASSWORD_MIN_CLASSES)."""
    return PasswordPolicy(current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MIN_CLASSES"])


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Permission:
    """Who may open a view: one of ``roles``, at an org of one of ``levels`` (any level when empty)."""

    roles: frozenset[Role]
    levels: frozenset[OrgLevel] = frozenset()

    def allows(self, user: User) -> bool:
        return user.has_role(*self.roles) and (not self.levels or user.org.level in self.levels)


def requires(*roles: Role, at: tuple[OrgLevel, ...] = ()) -> Callable[[F], F]:
    """The view needs one of ``roles``, at an org of a level in ``at`` if given (403 otherwise: the page exists,
    the user may not use it). The permission stays on the view, so that menus ask the same question (may_open)."""
    permission = Permission(frozenset(roles), frozenset(at))

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not permission.allows(me()) or not _feature_on(me(), permission, request.blueprint or ""):
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# What an audit administrator may still send besides reading: its own sign-in, password and sign-out.
AUDITOR_MAY_POST = {"auth.logout", "auth.change_password", "auth.login", "signin.second_factor", "signin.enroll"}


def auditors_change_nothing() -> None:
    """三员分立: the audit administrator reads and exports the logs and changes nothing. Checked before every
    request, beside the role check of each view, so that no page it can reach by any role lets it write."""
    if request.method in {"GET", "HEAD", "OPTIONS"} or not current_user.is_authenticated:
        return
    if me().has_role(Role.AUDIT_ADMINISTRATOR) and request.endpoint not in AUDITOR_MAY_POST:
        abort(403)


def may_open(user: User, endpoint: str) -> bool:
    """Whether ``user`` passes the role check of the view at ``endpoint`` (views without one: any logged-in user)."""
    permission: Permission | None = getattr(current_app.view_functions[endpoint], "permission", None)
    return permission is None or (permission.allows(user) and _feature_on(user, permission, endpoint.split(".")[0]))


def _feature_on(user: User, permission: Permission, feature: str) -> bool:
    """角色配置 of the user's province (models/permissions.py), read once per request."""
    if feature not in permissions.FEATURES:
        return True
    cache: dict[int, set[tuple[OrgLevel, Role, str]]] = g.setdefault("switched_off", {})
    if user.id not in cache:
        cache[user.id] = permissions.switched_off_for(db(), user)
    return permissions.permits(user, permission.roles, feature, cache[user.id])


def _or_404(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except NotFound:
        abort(404)


def student_or_404(student_id: int) -> Student:
    return _or_404(lambda: jurisdiction.student_or_404(db(), me(), student_id))


def case_or_404(instance_id: int) -> ProcessInstance:
    return _or_404(lambda: jurisdiction.case_or_404(db(), me(), instance_id))


def document_request_or_404(request_id: int) -> DocumentRequest:
    return _or_404(lambda: jurisdiction.document_request_or_404(db(), me(), request_id))


def task_or_404(task_id: int) -> InboxTask:
    return _or_404(lambda: jurisdiction.task_or_404(db(), me(), task_id))


def own_term_or_404(term_id: int) -> Term:
    return _or_404(lambda: jurisdiction.own_term_or_404(db(), me(), term_id))


def staged_record_or_404(staged_id: int) -> StagedRecord:
    return _or_404(lambda: jurisdiction.staged_record_or_404(db(), me(), staged_id))


def own_cohort_or_404(cohort_id: int) -> Cohort:
    return _or_404(lambda: jurisdiction.own_cohort_or_404(db(), me(), cohort_id))


def own_class_or_404(class_id: int) -> SchoolClass:
    return _or_404(lambda: jurisdiction.own_class_or_404(db(), me(), class_id))


def class_size_setting_or_404(setting_id: int) -> ClassSizeLimit:
    return _or_404(lambda: jurisdiction.class_size_setting_or_404(db(), me(), setting_id))


def job_or_404(job_id: int) -> Job:
    return _or_404(lambda: jurisdiction.job_or_404(db(), me(), job_id))


def administered_user_or_404(user_id: int) -> User:
    return _or_404(lambda: jurisdiction.administered_user_or_404(db(), me(), user_id))


def administered_unit_or_404(org_id: int) -> OrgUnit:
    return _or_404(lambda: jurisdiction.administered_unit_or_404(db(), me(), org_id))


def api_token_or_404(token_id: int) -> ApiToken:
    return _or_404(lambda: jurisdiction.api_token_or_404(db(), me(), token_id))


def family_request_or_404(request_id: int) -> FamilyRequest:
    return _or_404(lambda: jurisdiction.family_request_or_404(db(), me(), request_id))


def seal_unit_or_404(org_id: int) -> OrgUnit:
    return _or_404(lambda: jurisdiction.seal_unit_or_404(db(), me(), org_id))
