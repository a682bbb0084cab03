"""Service-task handlers. Importing this package registers every handler in ``HANDLERS``."""

from handlers import (
    admissions,
    dropout,
    graduation,
    keydata,
    problems,
    records,
    school_changes,
    status_change,
    transfer,
    transfer_cross,
)
from handlers.registry import HANDLERS, HandlerContext, handler

__all__ = [
    "HANDLERS",
    "HandlerContext",
    "admissions",
    "dropout",
    "graduation",
    "handler",
    "keydata",
    "problems",
    "records",
    "school_changes",
    "status_change",
    "transfer",
    "transfer_cross",
]
