"""Logging of the cloud: one line per record, JSON or text, with the request's id and
tenant, and no secret in it.

Redaction runs on the final text of every record (message with its args, and the
traceback), because secrets reach logs through args and exception texts (a driver's error
quotes the statement's parameters) more often than through a literal message.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "text"]

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "stocky_request_id", default=None
)
TENANT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "stocky_tenant_id", default=None
)

MASK = "[redacted]"
# Most specific first: a JWT inside "Bearer ..." is masked whole either way.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s'\",)}\]]+"), MASK),
    # Refresh tokens and device credentials (stocky.cloud.auth.service).
    (re.compile(r"\b(?:rt|dc)_[0-9a-f]{32}_[A-Za-z0-9_-]{8,}"), MASK),
    # key=value / "key": "value" for the names secrets travel under.
    (
        re.compile(
            r"(?i)([\"']?\b(?:password(?:_hash)?|passwd|secret|token|access_token|"
            r"refresh_token|credential|authorization|api_key|code|activation_code|pin)"
            r"\b[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&}\]]+)"
        ),
        rf"\1{MASK}",
    ),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in the record's message, args and traceback before any formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string is still logged, as text
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Stamps the request id and tenant of the running request (contextvars) on records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "tenant_id", None) is None:
            record.tenant_id = TENANT_ID.get()
        return True


# Fields an access line (or any record) may carry through `extra=`.
_EXTRA_FIELDS = ("route", "method", "path", "status", "duration_ms", "client")


class JsonFormatter(logging.Formatter):
    """ts, level, logger, msg, request_id, tenant_id, and the access fields when present."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "tenant_id", *_EXTRA_FIELDS):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [request_id={request_id}]" if request_id else text


HANDLER_NAME = "stocky"


def configure_logging(fmt: LogFormat, level: str) -> None:
    """One stderr handler on the root logger; uvicorn's loggers go through it too (its own
    access log stays off: our middleware writes one line per request)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
