"""The registry's own vocabulary, for the diagram editor's choice lists: what a diagram may name and the publish
check (``engine.checks``) accepts: forms, lane roles, handlers, approval verbs, the state labels in use, and the code
tables of Appendix A that a condition compares with.

Everything is read from the application itself (the form classes, ``LANES``, the handler functions' signatures),
so that a new form or handler appears in the editor without anybody maintaining a second list.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.checks import ESCALATIONS
from engine.lanes import LANES
from engine.registry import given
from engine.verbs import Verb
from forms import FORMS, designed
from models import codes
from models.service_tasks import Operation
from models.workflow import ProcessVersion

SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def forms() -> list[dict[str, Any]]:
    """Each form: its key, title, the variables it writes (its field names; under the task's
    ``spiffworkflow:variableName`` when the diagram sets one) and, for choice fields, the values each may take (the
    code tables a condition compares with)."""
    return [
        {"key": key, "title": cls.title or key, "variables": cls.variables(), "choices": _choices(form)}
        for key, cls in sorted(FORMS.items())
        for form in [cls()]
    ]


def _choices(form: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for field in form:
        if hasattr(field, "iter_choices") and field.choices:
            values = [str(choice[0]) for choice in field.iter_choices() if choice[0] not in (None, "", "None")]
            if values:
                found[field.name] = values
    return found


def lanes() -> list[str]:
    return list(LANES)


def handlers() -> list[dict[str, Any]]:
    """The catalogue of service operations: each handler's name, what it does (its docstring's first line), its
    typed keyword parameters, its typed results (declared with the handler) and whether a 退回 may run it again."""
    registry = given()
    return [_operation(registry.operation(name)) for name in sorted(registry.handlers)]


def _operation(operation: Operation) -> dict[str, Any]:
    return {
        "name": operation.name,
        "description": operation.description,
        "parameters": [{"name": p.name, "type": p.type, "required": p.required} for p in operation.parameters],
        "results": [{"name": name, "type": kind} for name, kind in operation.results.items()],
        "repeatable": operation.repeatable,
    }


def designed_types() -> dict[str, Any]:
    """What the form designer offers: the field types of designed forms and the organisation levels."""
    return {"types": designed.TYPES, "levels": designed.ORG_LEVELS, "attachment_name": designed.ATTACHMENT_NAME}


def verbs() -> dict[str, list[str]]:
    """The approval verbs a user task may switch off (``disabledVerbs``) and the escalations of ``escalateTo``."""
    return {"verbs": [v.value for v in Verb], "escalations": list(ESCALATIONS)}


def code_tables() -> list[dict[str, Any]]:
    """Each code table: its name, Chinese title and values (``value`` as stored, ``label`` as shown)."""
    return [
        {
            "name": name,
            "title": title,
            "values": [
                {"value": value, "label": table[value] if isinstance(table, dict) else value} for value in table
            ],
        }
        for name, (title, table) in codes.TABLES.items()
    ]


def state_labels(session: Session) -> list[str]:
    """Every ``caseState`` of the published versions, most used first (then alphabetically)."""
    counts: dict[str, int] = {}
    for xml in session.scalars(select(ProcessVersion.bpmn_xml)):
        root = etree.fromstring(xml.encode())
        for prop in root.iter(f"{{{SPIFF}}}property"):
            label = prop.get("value")
            if prop.get("name") == "caseState" and label:
                counts[label] = counts.get(label, 0) + 1
    return sorted(counts, key=lambda label: (-counts[label], label))
