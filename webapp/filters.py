"""Jinja filters: times in China Standard Time, audit values in the words users know."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from models import clock
from models.student import STATUS_LABELS, StudentStatus


def localtime(value: datetime | None) -> str:
    return clock.local_text(value)


def localdate(value: datetime | None) -> str:
    return clock.local_text(value, clock.DAY)


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
