"""Service-task handlers. Importing this package registers every handler in ``HANDLERS``; ``REGISTRY`` is what the
application hands the engine at start (``engine.use_handlers``)."""

from handlers import (
    admissions,
    document_flow,
    dropout,
    graduation,
    keydata,
    pending,
    problems,
    records,
    regional_rules,
    school_changes,
    status_change,
    transfer,
    transfer_cross,
)
from handlers.registry import HANDLERS, REPEATABLE, RESULTS, HandlerContext, handler
from models.service_tasks import HandlerRegistry

# The same dict and set the decorator fills: a handler registered (or replaced by a test) later is seen too.
REGISTRY = HandlerRegistry(handlers=HANDLERS, repeatable=REPEATABLE, restore=pending.restore_student, results=RESULTS)

__all__ = [
    "HANDLERS",
    "REGISTRY",
    "REPEATABLE",
    "HandlerContext",
    "admissions",
    "document_flow",
    "dropout",
    "graduation",
    "handler",
    "keydata",
    "pending",
    "problems",
    "records",
    "regional_rules",
    "school_changes",
    "status_change",
    "transfer",
    "transfer_cross",
]
