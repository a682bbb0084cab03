"""Jinja filters: times in China Standard Time, audit values in the words users know."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from models import clock
from models.student import STATUS_LABELS, StudentStatus


def localtime(value: datetime | None) -> str:
    return clock.local_text(value)


def localdate(value: datetime | None) -> str:
    return clock.local_text(value, clock.DAY)


# Steps the engine takes by itself; every other kind (started, task, ended, messages, and kinds added later such
# as returned / withdrawn / comment) is a person's step and shown by default.
SYSTEM_KINDS = frozenset({"service", "state"})


@dataclass
class Step:
    """A person's step of a case's history and the states the case passed through because of it."""

    event: Any
    states: list[str] = field(default_factory=list)


def people_steps(events: Iterable[Any]) -> list[Step]:
    steps: list[Step] = []
    for event in events:
        if event.kind not in SYSTEM_KINDS:
            steps.append(Step(event, [event.state_label] if event.state_label else []))
        elif event.state_label and steps and event.state_label not in steps[-1].states:
            steps[-1].states.append(event.state_label)
    return steps


def system_steps(events: Iterable[Any]) -> list[Any]:
    return [event for event in events if event.kind in SYSTEM_KINDS]


def status_text(values: dict[str, Any]) -> str:
    parts = []
    for key, value in values.items():
        if key == "status" and value in StudentStatus.__members__.values():
            parts.append(f"学籍状态：{STATUS_LABELS[StudentStatus(value)]}")
        elif key == "reason":
            parts.append(f"原因：{value}")
        else:
            parts.append(f"{key}：{value}")
    return "；".join(parts)


def overdue(value: datetime | None) -> bool:
    """The due time has passed (inbox: show overdue tasks, F-29 service level)."""
    if value is None:
        return False
    return clock.as_utc(value) < datetime.now(UTC)


def init_app(app: Flask) -> None:
    app.add_template_filter(overdue)
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)
    app.add_template_filter(status_text)
    app.add_template_filter(people_steps)
    app.add_template_filter(system_steps)
