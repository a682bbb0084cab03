"""The handlers the engine was given. The engine does not import ``handlers``: the application hands it their
registry at start (``engine.use_handlers(handlers.REGISTRY)`` in ``create_app`` and ``build_database``)."""

from __future__ import annotations

from models.service_tasks import HandlerRegistry

_given: HandlerRegistry | None = None


def use_handlers(registry: HandlerRegistry) -> None:
    global _given  # one registry per process, set at start like the display zone
    _given = registry


def given() -> HandlerRegistry:
    if _given is None:
        raise RuntimeError("the engine was given no handlers: call engine.use_handlers(handlers.REGISTRY) at start")
    return _given
