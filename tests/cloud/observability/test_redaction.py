"""The redacting filter masks secrets wherever a record carries them: message, args,
traceback; in JSON and text lines alike."""

from __future__ import annotations

import io
import json
import logging

import pytest

from stocky.cloud.observability.logs import (
    MASK,
    REQUEST_ID,
    ContextFilter,
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
)

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"
ARGON = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
DEVICE = "dc_" + "a" * 32 + "_" + "b" * 32 + "_Zm9vYmFyYmF6cXV4"
REFRESH = "rt_" + "c" * 32 + "_cXV4cXV4cXV4cXV4"


def emit(fmt: logging.Formatter, msg: str, *args: object, exc: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(fmt)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc:
            try:
                raise ValueError(f"bad row (password_hash='{ARGON}')")
            except ValueError:
                logger.exception(msg, *args)
        else:
            logger.warning(msg, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("fmt", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
@pytest.mark.parametrize(
    ("msg", "args", "secret"),
    [
        ("header %s", ("Authorization: Bearer abc.def-ghi",), "abc.def-ghi"),
        ("token %s", (JWT,), JWT),
        ("user row %r", ({"email": "a@b.co", "password_hash": ARGON},), ARGON),
        ("caja %s", (DEVICE,), DEVICE),
        ("refresh %s", (REFRESH,), REFRESH),
        ("login body password=%s", ("hunter2-hunter2",), "hunter2-hunter2"),
        ('{"code": "%s"}', ("ABCD-EFGH-JKMN",), "ABCD-EFGH-JKMN"),
        ("params {'activation_code': '%s'}", ("ZXCV1234ASDF",), "ZXCV1234ASDF"),
    ],
)
def test_secrets_are_masked(fmt, msg: str, args: tuple[object, ...], secret: str) -> None:
    line = emit(fmt, msg, *args)
    assert secret not in line
    assert MASK in line


def test_a_traceback_is_masked_too() -> None:
    line = emit(JsonFormatter(), "while applying")
    assert "$argon2" not in line
    text = emit(JsonFormatter(), "while applying", exc=True)
    record = json.loads(text)
    assert "ValueError" in record["exc"]
    assert ARGON not in text


def test_json_lines_carry_the_request_id() -> None:
    token = REQUEST_ID.set("req-12345678")
    try:
        record = json.loads(emit(JsonFormatter(), "hello %s", "world"))
    finally:
        REQUEST_ID.reset(token)
    assert record["msg"] == "hello world"
    assert record["request_id"] == "req-12345678"
    assert record["level"] == "warning"
    assert record["logger"] == "tests.redaction"


def test_plain_text_is_left_alone() -> None:
    record = json.loads(emit(JsonFormatter(), "pushed %d ops for sede %s", 3, "Centro"))
    assert record["msg"] == "pushed 3 ops for sede Centro"
