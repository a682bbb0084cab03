"""Pickers of designed forms (forms.designed): a student or an organisation, offered and accepted only within the
acting user's jurisdiction, which models.jurisdiction alone decides. Until ``limit_to`` is called (the form has no
user) nothing is accepted."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError

from forms.base import optional_int
from models.jurisdiction import students_visible_to, units_visible_to
from models.org import OrgLevel
from models.student import Student, has_national_id
from models.user import User


class StudentField(StringField):
    """A student named by 全国学籍号; the task data holds the student's id (what handlers take), the history his
    name."""

    def __init__(self, label: str, **options: Any) -> None:
        super().__init__(label, **options)
        self._where: tuple[Session, User] | None = None
        self.student: Student | None = None

    def limit_to(self, session: Session, user: User, level: str | None = None) -> None:
        self._where = (session, user)

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        number = (self.data or "").strip()
        if validation_stopped or not number:
            return
        found = None
        if self._where is not None:
            session, user = self._where
            found = session.scalar(students_visible_to(user).where(has_national_id(number)))
        if found is None:  # outside the jurisdiction a record does not exist
            raise ValidationError(f"您的管辖范围内没有全国学籍号为 {number} 的学生")
        self.student = found

    @property
    def task_value(self) -> int | None:
        return self.student.id if self.student is not None else None

    @property
    def shown(self) -> str:
        return f"{self.student.name}（{self.data}）" if self.student is not None else str(self.data or "")


class OrgField(SelectField):
    """An organisation (of one level, when the definition says so) in the user's subtree; the data is its id."""

    def __init__(self, label: str, **options: Any) -> None:
        super().__init__(label, choices=[SelectChoice("", "请选择…")], coerce=optional_int, **options)

    def limit_to(self, session: Session, user: User, level: str | None = None) -> None:
        units = session.scalars(units_visible_to(user, OrgLevel(level) if level else None)).all()
        self.choices = [SelectChoice("", "请选择…"), *(SelectChoice(unit.id, unit.name) for unit in units)]

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in {c.value for c in self.iter_choices()}:
            raise ValidationError("请在您的管辖范围内选择机构")
