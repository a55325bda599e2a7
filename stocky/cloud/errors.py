"""The cloud's own error answers, on top of stocky.core.errors: what PostgreSQL refuses (a
data error 422, an integrity error 409, a transient failure 503), and the NUL rule with the
exception sync push needs."""

from __future__ import annotations

import logging
import re

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError

from stocky.core import errors as core_errors
from stocky.core.errors import nul_fields, refuse_nul_fields

log = logging.getLogger(__name__)

_OP_PAYLOAD = re.compile(r"operations\.\d+\.payload(\.|$)")


async def refuse_nul(request: Request) -> None:
    """App-wide dependency: stocky.core.errors.refuse_nul, except inside a pushed op's payload.

    An op's payload is judged per op (its NUL rejects that op, recorded, and the rest of the
    batch applies): stocky.cloud.sync.push.
    """
    found = await nul_fields(request)
    if request.url.path == "/api/sync/push":
        found = [f for f in found if not _OP_PAYLOAD.match(f)]
    refuse_nul_fields(found)


# SQLSTATEs of failures that pass: a retry of the same request can succeed. Besides
# connections (08), serialization and deadlocks (40) and resources (53), the server's own
# failures (58: an I/O error of its disk, XX: internal) roll back cleanly and may not recur;
# a caja retrying its batch later is the right answer to them.
_TRANSIENT_STATES = {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03"}
_TRANSIENT_CLASSES = {"08", "40", "53", "58", "XX"}


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _db_primary_message(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return str(primary or exc.orig or exc).strip().splitlines()[0]


def _is_data_error(exc: DBAPIError) -> bool:
    state = _sqlstate(exc)
    return (state is not None and state.startswith("22")) or isinstance(exc.orig, psycopg.DataError)


def _is_integrity_error(exc: DBAPIError) -> bool:
    state = _sqlstate(exc)
    return (state is not None and state.startswith("23")) or isinstance(exc, IntegrityError)


def _is_transient(exc: DBAPIError) -> bool:
    state = _sqlstate(exc)
    if state is None:
        # No SQLSTATE: the client lost or never got a connection (refused, reset, closed).
        return exc.connection_invalidated or isinstance(
            exc.orig, psycopg.OperationalError | psycopg.InterfaceError
        )
    return state in _TRANSIENT_STATES or state[:2] in _TRANSIENT_CLASSES


def database_error_response(exc: DBAPIError) -> JSONResponse:
    """A data or integrity error is the request's fault; only a transient failure is a 503."""
    state = _sqlstate(exc)
    if _is_data_error(exc):
        log.warning("database refused a value (%s): %s", state, _db_primary_message(exc))
        return JSONResponse(
            {
                "error": "invalid_value",
                "message": "The database refused a value of this request: "
                f"{_db_primary_message(exc)}. Nothing was changed.",
            },
            status_code=422,
        )
    if _is_integrity_error(exc):
        log.warning("integrity error (%s): %s", state, _db_primary_message(exc))
        return JSONResponse(
            {
                "error": "conflict",
                "message": "The request conflicts with existing data: "
                f"{_db_primary_message(exc)}. Nothing was changed.",
            },
            status_code=409,
        )
    if _is_transient(exc):
        # The request's transaction has rolled back: nothing was applied, retrying is safe.
        log.error("transient database error (%s): %s", state, exc.orig or exc)
        return JSONResponse(
            {
                "error": "unavailable",
                "message": "The database could not complete the request; nothing was "
                "changed. Try again shortly.",
            },
            status_code=503,
            headers={"Retry-After": "2"},
        )
    log.error("database error (%s)", state, exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "message": "The server failed; nothing was changed."},
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """The shared handlers (stocky.core.errors), and the database's refusals as JSON."""
    core_errors.install_error_handlers(app)

    @app.exception_handler(DBAPIError)
    async def _database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        return database_error_response(exc)
