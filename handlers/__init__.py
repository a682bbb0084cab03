"""Service-task handlers. Importing this package registers every handler in ``HANDLERS``."""

from handlers import keydata, problems, records
from handlers.registry import HANDLERS, HandlerContext, handler

__all__ = ["HANDLERS", "HandlerContext", "handler", "keydata", "problems", "records"]
