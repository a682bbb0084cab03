"""Task forms by key. A user task's (or start event's) ``formKey`` property names one of ``FORMS``."""

from __future__ import annotations

from forms import key_data_change, mistaken_deletion, problem_record
from forms.base import TaskForm

FORM_CLASSES: list[type[TaskForm]] = [
    mistaken_deletion.RequestForm,
    mistaken_deletion.CountyReviewForm,
    mistaken_deletion.SchoolDecisionForm,
    problem_record.OpenForm,
    problem_record.ActionForm,
    problem_record.ReviewForm,
    problem_record.ArbitrationForm,
    key_data_change.RequestForm,
    key_data_change.ReviewForm,
]


def _index(classes: list[type[TaskForm]]) -> dict[str, type[TaskForm]]:
    index: dict[str, type[TaskForm]] = {}
    for cls in classes:
        if cls.key in index:
            raise ValueError(f"form key {cls.key!r} used twice")
        index[cls.key] = cls
    return index


FORMS = _index(FORM_CLASSES)

__all__ = ["FORMS", "TaskForm"]
