"""Service-task handlers. Importing this package registers every handler in ``HANDLERS``."""

from handlers import records, transfer, transfer_cross
from handlers.registry import HANDLERS, HandlerContext, handler

__all__ = ["HANDLERS", "HandlerContext", "handler", "records", "transfer", "transfer_cross"]
