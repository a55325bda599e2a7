"""Errors of the caja's operations: the cloud's generic classes, including one for a bad field.

The classes in stocky.cloud.errors carry only an HTTP status and a message (no cloud state),
so the local API reuses them and answers in the same JSON shape as the cloud.
"""

from __future__ import annotations

from stocky.cloud.errors import (
    ConflictError,
    FieldError,
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
