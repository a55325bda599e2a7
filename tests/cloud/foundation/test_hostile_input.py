"""Hostile input answers 4xx naming what is wrong, never a 5xx that says "try again".

NUL characters (which PostgreSQL text cannot hold), database data and integrity errors,
and chunked bodies over the limit, over real sockets and real PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from stocky.cloud.config import Settings
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin

NUL = "\x00"


def _assert_nul_422(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["message"] == f"{field}: must not contain NUL characters"
    assert {"field": field, "message": "must not contain NUL characters"} in body["fields"]
    assert "retry-after" not in response.headers


class TestNulCharacters:
    def test_login_email_without_a_token(self, live_cloud: str) -> None:
        r = httpx.post(
            f"{live_cloud}/api/auth/login",
            json={"email": f"a{NUL}@example.com", "password": PASSWORD},
        )
        _assert_nul_422(r, "email")

    def test_query_parameter(self, live_cloud: str) -> None:
        admin = CloudAdmin.signup(live_cloud)
        r = httpx.get(f"{live_cloud}/api/products?q=%00", headers=admin.headers)
        _assert_nul_422(r, "q")
        # Refused before authentication: the same answer without a token.
        _assert_nul_422(httpx.get(f"{live_cloud}/api/products?q=x%00y"), "q")

    def test_nested_json_field_and_path_parameter(self, live_cloud: str) -> None:
        admin = CloudAdmin.signup(live_cloud)
        sede = admin.sede()
        r = httpx.patch(
            f"{live_cloud}/api/sedes/{sede}",
            json={"name": "ok", "config": {"printer": {"names": ["x", f"ticket{NUL}"]}}},
            headers=admin.headers,
        )
        _assert_nul_422(r, "config.printer.names.1")
        r = httpx.get(f"{live_cloud}/api/sedes/{sede}%00", headers=admin.headers)
        _assert_nul_422(r, "sede_id")

    def test_every_offending_field_is_listed(self, live_cloud: str) -> None:
        r = httpx.post(
            f"{live_cloud}/api/signup",
            json={"tenant_name": f"T{NUL}", "email": f"o{NUL}@example.com", "password": "x"},
        )
        assert r.status_code == 422
        assert [f["field"] for f in r.json()["fields"]] == ["tenant_name", "email"]

    def test_escaped_backslash_is_not_a_nul(self, live_cloud: str) -> None:
        # The text \u0000 (six characters, backslash escaped) is data, not a NUL.
        admin = CloudAdmin.signup(live_cloud)
        r = httpx.post(
            f"{live_cloud}/api/sedes",
            content=b'{"name": "Sede \\\\u0000"}',
            headers={**admin.headers, "content-type": "application/json"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "Sede \\u0000"


@pytest.fixture
def raising_app(cloud_app: FastAPI) -> FastAPI:
    """The cloud app plus one route that runs SQL on the real database and lets it fail."""

    async def run(sql: str) -> dict[str, str]:
        async with cloud_app.state.sessionmaker() as session:
            await session.execute(text(sql))
        return {"ran": sql}

    cloud_app.add_api_route("/_test/sql", run, methods=["POST"])
    return cloud_app


def _raise(state: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'boom {state}' USING ERRCODE = '{state}'; END $$"


class TestDatabaseErrors:
    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("sql", "status", "error"),
        [
            ("SELECT 'abc'::int", 422, "invalid_value"),  # 22P02 invalid text
            ("SELECT 2147483648::int", 422, "invalid_value"),  # 22003 out of range
            (_raise("22001"), 422, "invalid_value"),  # string too long
            (_raise("23505"), 409, "conflict"),  # unique violation
            (_raise("23503"), 409, "conflict"),  # foreign key
            (_raise("40001"), 503, "unavailable"),  # serialization
            (_raise("40P01"), 503, "unavailable"),  # deadlock
            (_raise("55P03"), 503, "unavailable"),  # lock timeout
            (_raise("53300"), 503, "unavailable"),  # too many connections
            (_raise("57P01"), 503, "unavailable"),  # admin shutdown
            (_raise("08006"), 503, "unavailable"),  # connection failure
            ("SELECT * FROM no_such_table", 500, "internal_error"),  # a bug, not "retry"
        ],
    )
    async def test_status_by_sqlstate(
        self,
        raising_app: FastAPI,
        caplog: pytest.LogCaptureFixture,
        sql: str,
        status: int,
        error: str,
    ) -> None:
        transport = httpx.ASGITransport(app=raising_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with caplog.at_level(logging.WARNING, logger="stocky.cloud.errors"):
                r = await client.post("/_test/sql", params={"sql": sql})
        assert r.status_code == status, r.text
        assert r.json()["error"] == error
        assert ("retry-after" in r.headers) == (status == 503)
        levels = {rec.levelno for rec in caplog.records if rec.name == "stocky.cloud.errors"}
        assert levels == ({logging.WARNING} if status < 500 else {logging.ERROR})

    def test_nul_reaching_the_database_is_422(self) -> None:
        """A NUL that slips past the request check (psycopg refuses it client-side)."""
        import psycopg
        from sqlalchemy.exc import DBAPIError

        from stocky.cloud.errors import database_error_response

        orig = psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        response = database_error_response(DBAPIError("INSERT ...", {}, orig))
        assert response.status_code == 422


class TestBodyLimit:
    def test_chunked_body_over_the_limit_is_413(self, live_cloud: str, settings: Settings) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(settings.max_body_bytes // 65536 + 2):
                yield b'{"a": "' + b"x" * 65536

        r = httpx.post(
            f"{live_cloud}/api/auth/login",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in r.request.headers
        assert r.status_code == 413, r.text
        assert r.json()["error"] == "payload_too_large"


class TestSedeConfig:
    def test_config_is_bounded_in_size_and_depth(self, live_cloud: str) -> None:
        admin = CloudAdmin.signup(live_cloud)
        big = {"blob": "x" * (4 * 1024 * 1024)}
        r = httpx.post(
            f"{live_cloud}/api/sedes", json={"name": "A", "config": big}, headers=admin.headers
        )
        # Under the 5 MB body limit, so it is parsed: 4 MB sent to every caja is refused.
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "config"
        r = httpx.post(
            f"{live_cloud}/api/sedes",
            json={"name": "A", "config": {"blob": "x" * 17_000}},
            headers=admin.headers,
        )
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "config"
        assert "16384" in r.json()["message"]
        sede = admin.sede()
        deep: dict[str, object] = {"leaf": 1}
        for _ in range(9):
            deep = {"n": deep}
        r = httpx.patch(
            f"{live_cloud}/api/sedes/{sede}", json={"config": deep}, headers=admin.headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "config"
        ok = {"printer": {"width": 80}, "notes": "y" * 15_000}
        r = httpx.patch(
            f"{live_cloud}/api/sedes/{sede}", json={"config": ok}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["config"] == ok


class TestOpenApiErrors:
    @pytest.mark.asyncio
    async def test_every_operation_documents_its_errors(self, client: httpx.AsyncClient) -> None:
        schema = (await client.get("/openapi.json")).json()
        ops = schema["paths"]
        error_ref = {"$ref": "#/components/schemas/ErrorOut"}

        def documented(path: str, method: str) -> set[str]:
            responses = ops[path][method]["responses"]
            for status, answer in responses.items():
                if status[0] in "45":
                    assert answer["content"]["application/json"]["schema"] == error_ref
            return set(responses)

        assert {"401", "403", "404", "409", "413", "422", "503"} <= documented(
            "/api/products/{product_id}", "patch"
        )
        assert {"401", "429"} <= documented("/api/auth/login", "post")
        assert "401" not in documented("/api/signup", "post")
        assert "HTTPValidationError" not in schema["components"]["schemas"]
