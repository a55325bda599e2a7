"""Errors of the caja's operations: the shared classes of stocky.core.errors.

They carry only an HTTP status and a message, so the local API answers in the same JSON shape
as the cloud; the caja has no database errors of the cloud's kind to map (stocky.cloud.errors).
"""

from __future__ import annotations

from stocky.core.errors import (
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
