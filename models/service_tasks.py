"""What the engine and the handlers share: a service task's context and the registry of handlers by name.

It lives beside the models, below both packages, so that the engine is handed the handlers when the application
starts (``engine.use_handlers(handlers.REGISTRY)``) instead of importing them: ``engine`` never imports ``handlers``
(tests/test_layering.py holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.user import User
from models.workflow import ProcessInstance

# A handler takes the context and the diagram's keyword parameters and returns the task's result (JSON-ready).
Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class HandlerContext:
    session: Session
    actor: User | None  # None when a timer or the system acts
    case: ProcessInstance
    now: datetime


@dataclass(frozen=True)
class HandlerRegistry:
    """What the engine needs of the handlers: the functions a diagram's service tasks name, which of them a 退回 may
    run again, and how a cancelled case (在办业务清理) puts its student back."""

    handlers: Mapping[str, Handler]
    repeatable: Set[str]
    restore: Callable[[HandlerContext], object]
