"""All that views call to authorise: login, roles, and objects loaded within the user's jurisdiction.

Outside the user's jurisdiction the answer is 404, not 403: nobody learns that a record exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import LoginManager, current_user

from models import jurisdiction
from models.calendar import Term
from models.class_size import ClassSizeLimit
from models.errors import NotFound
from models.org import Cohort, SchoolClass
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


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def requires(*roles: Role) -> Callable[[F], F]:
    """The view needs one of ``roles`` (403 otherwise: the page exists, the user may not use it)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not me().has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _or_404(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except NotFound:
        abort(404)


def student_or_404(student_id: int) -> Student:
    return _or_404(lambda: jurisdiction.student_or_404(db(), me(), student_id))


def case_or_404(instance_id: int) -> ProcessInstance:
    return _or_404(lambda: jurisdiction.case_or_404(db(), me(), instance_id))


def task_or_404(task_id: int) -> InboxTask:
    return _or_404(lambda: jurisdiction.task_or_404(db(), me(), task_id))


def own_term_or_404(term_id: int) -> Term:
    return _or_404(lambda: jurisdiction.own_term_or_404(db(), me(), term_id))


def own_cohort_or_404(cohort_id: int) -> Cohort:
    return _or_404(lambda: jurisdiction.own_cohort_or_404(db(), me(), cohort_id))


def own_class_or_404(class_id: int) -> SchoolClass:
    return _or_404(lambda: jurisdiction.own_class_or_404(db(), me(), class_id))


def class_size_setting_or_404(setting_id: int) -> ClassSizeLimit:
    return _or_404(lambda: jurisdiction.class_size_setting_or_404(db(), me(), setting_id))
