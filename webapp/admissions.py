"""招生入学 (F-41/F-42 admission, F-46 duplicates, F-49 class assignment): pages and the admission step.

``admit_graduate`` is the one place an admission is recorded: the student row is locked, and when another school
already admitted the graduate the 重复招生处理 case (processes/duplicate_admission.bpmn) opens in the same
transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

import engine as wf
from forms import FORMS
from models import admission as adm
from models.base import utcnow
from models.org import Stage
from models.user import User
from models.workflow import ProcessInstance


def admit_graduate(
    session: Session, actor: User, *, student_id: int, school_id: int, stage: Stage
) -> tuple[adm.Admission, ProcessInstance | None]:
    """Record a school's admission of a graduate and commit; a second school's admission opens F-46."""
    try:
        admission, earlier = adm.record_admission(session, actor, student_id, school_id, stage, now=utcnow())
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
