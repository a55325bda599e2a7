"""Errors that carry their HTTP status and a message a person understands."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class StockyError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.headers = headers
        self.extra = extra


class BadRequestError(StockyError):
    status_code = 400
    code = "bad_request"


class UnauthorizedError(StockyError):
    status_code = 401
    code = "unauthorized"


class ForbiddenError(StockyError):
    status_code = 403
    code = "forbidden"


class NotFoundError(StockyError):
    status_code = 404
    code = "not_found"


class ConflictError(StockyError):
    status_code = 409
    code = "conflict"


class GoneError(StockyError):
    status_code = 410
    code = "gone"


class PayloadTooLargeError(StockyError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(StockyError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailableError(StockyError):
    status_code = 503
    code = "unavailable"


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """One place turns every error into JSON {error, message, ...}."""

    @app.exception_handler(StockyError)
    async def _stocky_error(_: Request, exc: StockyError) -> JSONResponse:
        body = {"error": exc.code, "message": exc.message, **exc.extra}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                {"error": "malformed_json", "message": "The request body is not valid JSON."},
                status_code=400,
            )
        fields = [
            {"field": _field_path(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in errors
        ]
        first = fields[0] if fields else {"field": "body", "message": "invalid"}
        return JSONResponse(
            {
                "error": "validation_error",
                "message": f"{first['field']}: {first['message']}",
                "fields": fields,
            },
            status_code=422,
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        # The request's transaction has rolled back: nothing was applied, retrying is safe.
        log.error("database error: %s", exc.orig or exc)
        return JSONResponse(
            {
                "error": "unavailable",
                "message": "The database could not complete the request; nothing was "
                "changed. Try again shortly.",
            },
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
