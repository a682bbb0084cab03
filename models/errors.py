"""Errors that carry the Chinese message the user reads (Superset's ``message = _(…)`` habit)."""


class DomainError(Exception):
    """A business rule refused the action; ``message`` is shown to the user as is."""

    message = "操作未能完成"

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class NotFound(DomainError):
    message = "记录不存在或不在您的管辖范围内"
