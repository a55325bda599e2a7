"""Errors that carry their HTTP status and a message a person understands, and the one JSON
shape both APIs answer them in: {error, message, fields?}.

Shared by the cloud and the caja's local API, so a client (the caja's sync engine, the web
admin, an integration) reads one shape from either. Only FastAPI, Starlette and pydantic here:
what the database can refuse is the cloud's own (stocky.cloud.errors), and the caja must run
without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


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


class FieldError(StockyError):
    """A well-formed request that breaks a rule on one field (422, the field named)."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields=[{"field": field, "message": message}])
        self.field = field

    @classmethod
    def many(cls, faults: list[tuple[str, str]]) -> FieldError:
        """One error naming several fields (the message names the first)."""
        error = cls(*faults[0])
        error.extra["fields"] = [{"field": f, "message": m} for f, m in faults]
        return error


class FieldOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer: a stable code, a sentence for a person, the fields at fault."""

    error: str
    message: str
    fields: list[FieldOut] | None = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors an operation can answer, all in the ErrorOut shape."""
    return {
        status: {"model": ErrorOut, "description": _DESCRIPTIONS[status]} for status in statuses
    }


_DESCRIPTIONS = {
    400: "Bad request (malformed JSON, a body that cannot be read)",
    401: "Not logged in, or the token or credential is invalid or expired",
    403: "Logged in, but this role or scope may not do this",
    404: "No such resource in your tenant",
    409: "Conflicts with the current state (a duplicate, a stale version)",
    410: "No longer available (an expired or used code)",
    413: "The request body or a field is too large",
    421: "The Host header names another server",
    422: "A field is invalid; `fields` names each one",
    429: "Too many attempts; see Retry-After",
    503: "A transient failure (database or Redis); nothing was changed, retry after Retry-After",
}

# Answers that follow from an operation's shape; document_errors adds them to each route.
ANY_OPERATION = (400, 422, 503)  # a bad cursor or parameter (NUL too); a transient outage
WITH_BODY = (413,)  # a body over the limit
WITH_CREDENTIAL = (401, 403)
WITH_PATH_ID = (404,)
WRITES = (409,)  # a write can meet a unique or foreign key constraint
RATE_LIMITED = error_responses(429)
GONE = error_responses(410)


_WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _implied_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [*ANY_OPERATION]
    if "requestBody" in operation:
        statuses += WITH_BODY
    if operation.get("security"):
        statuses += WITH_CREDENTIAL
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" or p.get("name", "").endswith("_id") for p in parameters):
        statuses += WITH_PATH_ID  # an id, in the path or the query, may name nothing
    if method in _WRITE_METHODS:
        statuses += WRITES
    return statuses


def document_errors(app: FastAPI, extra: dict[str, tuple[int, ...]] | None = None) -> None:
    """Every operation's OpenAPI lists the errors its shape implies, in the ErrorOut body.

    Inferred from the operation itself so a new route cannot forget them: a credential
    means 401/403, an id parameter 404, a body 413, a write 409; what only a route
    knows (429, 410) it declares with `responses=`, which is kept, or `extra` lists by path
    (for every method of that path). FastAPI's own 422 body
    ({"detail": ...}) is replaced: the handler below answers ErrorOut.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        ref_template = "#/components/schemas/{model}"
        definition = ErrorOut.model_json_schema(ref_template=ref_template)
        components.update(definition.pop("$defs", {}))
        components["ErrorOut"] = definition
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, path_item in schema.get("paths", {}).items():
            for method, operation in path_item.items():
                responses = operation.setdefault("responses", {})
                implied = [*_implied_statuses(method, operation), *(extra or {}).get(path, ())]
                for status in sorted(set(implied)):
                    answer = responses.setdefault(str(status), {})
                    answer.setdefault("description", _DESCRIPTIONS[status])
                    if status == 422 or "content" not in answer:
                        answer["content"] = content
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


NUL_MESSAGE = "must not contain NUL characters"


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield child
            yield from _nul_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


async def nul_fields(request: Request) -> list[str]:
    """Where the request carries a NUL character: path and query parameters, headers, and
    every key and string of a JSON body, each as a dotted field path ("" for the body)."""
    found = [*_nul_paths(dict(request.path_params), "")]
    found += [k for k, v in request.query_params.multi_items() if "\x00" in k + v]
    found += [f"header.{k}" for k, v in request.headers.items() if "\x00" in v]
    if _is_json(request):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None  # FastAPI answers malformed JSON itself
            found += _nul_paths(parsed, "")
    return found


def refuse_nul_fields(found: list[str]) -> None:
    if found:
        raise FieldError.many([(field or "body", NUL_MESSAGE) for field in found])


async def refuse_nul(request: Request) -> None:
    """App-wide dependency: a NUL character in any parameter or JSON string is a 422.

    PostgreSQL text cannot hold NUL, so such a value would only fail later, deep in a query
    (in the cloud, or at the caja once pushed); here it fails first, before authentication,
    with the field named.
    """
    refuse_nul_fields(await nul_fields(request))


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

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
