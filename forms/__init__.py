"""Task forms by key. A user task's (or start event's) ``formKey`` property names one of ``FORMS``."""

from __future__ import annotations

from typing import Any

from forms import (
    admission_plan_change,
    document_flow,
    dropout,
    duplicate_admission,
    graduation,
    key_data_change,
    mistaken_deletion,
    problem_record,
    school_change,
    status_change,
    transfer,
    transfer_cross,
    workbench,
)
from forms import designed as designed_forms
from forms.base import TaskForm

FORM_CLASSES: list[type[TaskForm]] = [
    document_flow.RequestForm,
    document_flow.SubmitForm,
    document_flow.ReviewForm,
    document_flow.ConsolidateForm,
    document_flow.ProcessForm,
    document_flow.CloseForm,
    admission_plan_change.RequestForm,
    admission_plan_change.ReviewForm,
    duplicate_admission.OpenForm,
    duplicate_admission.ActionForm,
    duplicate_admission.ReviewForm,
    duplicate_admission.ArbitrationForm,
    school_change.RequestForm,
    school_change.CityReviewForm,
    mistaken_deletion.RequestForm,
    mistaken_deletion.CountyReviewForm,
    mistaken_deletion.SchoolDecisionForm,
    status_change.RequestForm,
    status_change.SchoolReviewForm,
    status_change.AuthorityReviewForm,
    graduation.SeniorRequestForm,
    graduation.SeniorReviewForm,
    dropout.ReportForm,
    dropout.FollowUpForm,
    dropout.ConfirmForm,
    transfer.RequestForm,
    transfer.ToCountyReviewForm,
    transfer.FromSchoolReviewForm,
    transfer.FromCountyReviewForm,
    transfer.CityReviewForm,
    transfer_cross.RequestForm,
    transfer_cross.AdmissionRequestForm,
    transfer_cross.ToCountyReviewForm,
    transfer_cross.ToCityReviewForm,
    transfer_cross.AwaitForm,
    transfer_cross.ResubmitForm,
    transfer_cross.PullForm,
    transfer_cross.OutSchoolReviewForm,
    transfer_cross.OutCountyReviewForm,
    transfer_cross.OutCityReviewForm,
    transfer_cross.OutProvinceReviewForm,
    problem_record.OpenForm,
    problem_record.ActionForm,
    problem_record.ReviewForm,
    problem_record.ArbitrationForm,
    key_data_change.RequestForm,
    key_data_change.ReviewForm,
    workbench.SignForm,
]


def _index(classes: list[type[TaskForm]]) -> dict[str, type[TaskForm]]:
    index: dict[str, type[TaskForm]] = {}
    for cls in classes:
        if cls.key in index:
            raise ValueError(f"form key {cls.key!r} used twice")
        index[cls.key] = cls
    return index


FORMS = _index(FORM_CLASSES)


def form_class(key: str, designed: dict[str, dict[str, Any]] | None = None) -> type[TaskForm]:
    """The form a ``formKey`` names: a hand-written one, or one designed in the diagram (``forms.designed``) whose
    definitions the caller passes from the case's version. KeyError when neither has it."""
    if key in FORMS:
        return FORMS[key]
    return designed_forms.build((designed or {})[key])


__all__ = ["FORMS", "TaskForm", "form_class"]
