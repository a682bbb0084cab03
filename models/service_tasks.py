"""What the engine and the handlers share: a service task's context and the registry of handlers by name.

It lives beside the models, below both packages, so that the engine is handed the handlers when the application
starts (``engine.use_handlers(handlers.REGISTRY)``) instead of importing them: ``engine`` never imports ``handlers``
(tests/test_layering.py holds it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
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


# A parameter's type as the diagram's ``spiffworkflow:parameter type`` states it, from the handler's annotation.
PARAMETER_TYPES = {"int": "int", "str": "str", "dict": "dict", "list": "list", "bool": "bool", "float": "float"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # one of PARAMETER_TYPES' values, or "any"
    required: bool


@dataclass(frozen=True)
class Operation:
    """A service operation as the editor offers it and publishing checks it: its typed parameters (the handler's
    keyword-only signature) and its typed results (declared with the handler: ``@handler(name, results={...})``)."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    results: Mapping[str, str]
    repeatable: bool
    takes_any: bool  # the handler accepts any further keyword (**kwargs)


@dataclass(frozen=True)
class HandlerRegistry:
    """What the engine needs of the handlers: the functions a diagram's service tasks name, which of them a 退回 may
    run again, how a cancelled case (在办业务清理) puts its student back, and what each returns."""

    handlers: Mapping[str, Handler]
    repeatable: Set[str]
    restore: Callable[[HandlerContext], object]
    results: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def operation(self, name: str) -> Operation:
        """The catalogue entry of a registered handler (KeyError when none is)."""
        func = self.handlers[name]
        params = list(inspect.signature(func).parameters.values())[1:]  # the first is the HandlerContext
        doc = inspect.getdoc(func) or ""
        return Operation(
            name=name,
            description=doc.split("\n", 1)[0],
            parameters=tuple(
                Parameter(p.name, _type_of(p.annotation), p.default is inspect.Parameter.empty)
                for p in params
                if p.kind is not inspect.Parameter.VAR_KEYWORD
            ),
            results=self.results.get(name, {}),
            repeatable=name in self.repeatable,
            takes_any=any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params),
        )


def _type_of(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return PARAMETER_TYPES.get(text.split("[", 1)[0].split("|", 1)[0].strip(), "any")
