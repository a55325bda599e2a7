"""Errors of the caja's operations: the cloud's generic classes, plus one for a bad field.

The classes in stocky.cloud.errors carry only an HTTP status and a message (no cloud state),
so the local API reuses them and answers in the same JSON shape as the cloud.
"""

from __future__ import annotations

from stocky.cloud.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StockyError,
    UnauthorizedError,
    install_error_handlers,
)

__all__ = [
    "ConflictError",
    "FieldError",
    "ForbiddenError",
    "NotFoundError",
    "StockyError",
    "UnauthorizedError",
    "install_error_handlers",
]


class FieldError(StockyError):
    """A well-formed request that breaks a business rule on one field (422, field named)."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields=[{"field": field, "message": message}])
        self.field = field
