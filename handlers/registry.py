"""Service-task handlers by name. A diagram's ``serviceTaskOperator id`` is a key of ``HANDLERS``.

Handlers are plain functions over models: they take a ``HandlerContext`` and keyword parameters from the
diagram, never commit, never import Flask, and return a JSON-ready dict (the task's result variable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models.service_tasks import Handler, HandlerContext

__all__ = ["HANDLERS", "REPEATABLE", "RESULTS", "Handler", "HandlerContext", "handler"]

HANDLERS: dict[str, Handler] = {}

# Handlers that may run again when a case is sent back (退回) across them: they only check and compute, or
# restate what the form says. Any other completed service task is a barrier that a return cannot cross.
REPEATABLE: set[str] = set()

# What each handler returns into its result variable: key → type (bool, int, str, date, datetime, list, dict), so
# that the editor offers the results to conditions and the catalogue documents them.
RESULTS: dict[str, Mapping[str, str]] = {}


def handler(
    name: str, *, repeatable: bool = False, results: Mapping[str, str] | None = None
) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if name in HANDLERS:
            raise ValueError(f"handler {name!r} registered twice")
        HANDLERS[name] = func
        RESULTS[name] = dict(results or {})
        if repeatable:
            REPEATABLE.add(name)
        return func

    return register
