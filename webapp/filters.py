"""Jinja filters: times in China Standard Time, audit values in the words users know."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from flask import Flask

from models.student import STATUS_LABELS, StudentStatus

CST = timezone(timedelta(hours=8), "CST")


def localtime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


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
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value < datetime.now(UTC)


def init_app(app: Flask) -> None:
    app.add_template_filter(overdue)
    app.add_template_filter(localtime)
    app.add_template_filter(status_text)
