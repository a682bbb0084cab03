"""Service-task handlers by name. A diagram's ``serviceTaskOperator id`` is a key of ``HANDLERS``.

Handlers are plain functions over models: they take a ``HandlerContext`` and keyword parameters from the
diagram, never commit, never import Flask, and return a JSON-ready dict (the task's result variable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.user import User
from models.workflow import ProcessInstance

Handler = Callable[..., dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class HandlerContext:
    session: Session
    actor: User | None  # None when a timer or the system acts
    case: ProcessInstance
    now: datetime


# Handlers that may run again when a case is sent back (退回) across them: they only check and compute, or
# restate what the form says. Any other completed service task is a barrier that a return cannot cross.
REPEATABLE: set[str] = set()


def handler(name: str, *, repeatable: bool = False) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if name in HANDLERS:
            raise ValueError(f"handler {name!r} registered twice")
        HANDLERS[name] = func
        if repeatable:
            REPEATABLE.add(name)
        return func

    return register
