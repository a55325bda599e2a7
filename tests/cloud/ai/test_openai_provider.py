"""The `openai` provider through the real SDK against a local OpenAI-compatible HTTP server:
good answers, malformed JSON, prose, timeouts, 429 and 5xx, what is sent, duplicates the model
proposes, the API key kept out of everything, and token and cost accounting."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from stocky.cloud.ai import LocalProvider, NormalizerProvider, ProductRow
from stocky.cloud.ai.openai_provider import PRICES, OpenAIProvider, price_of, retry_after
from tests.cloud.ai import fake_openai as fake_
from tests.cloud.ai.fake_openai import FakeOpenAI

KEY = "sk-test-Zq8vY2mN4pL6rT0wX9"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make(fake: FakeOpenAI, sleeps: list[float], **overrides: Any) -> OpenAIProvider:
    options: dict[str, Any] = {"timeout": 5.0, "max_retries": 2, "sleep": sleeps.append}
    options.update(overrides)
    return OpenAIProvider(KEY, fake.base_url, **options)


def rows(*names: str) -> list[ProductRow]:
    return [ProductRow(id=f"p{i}", name=name) for i, name in enumerate(names)]


class PricedRow(ProductRow):
    """A caller's richer row: none of its other fields may reach the model."""

    price: Decimal
    stock: int


class TestGoodAnswer:
    def test_suggestions_come_from_the_model(self, fake: FakeOpenAI, sleeps: list[float]) -> None:
        fake.default = fake_.good(
            {
                "p0": {"brand": "Kola Román", "size": 1500, "unit": "ml", "category": "Bebidas"},
                "p1": {"size": 0.5, "unit": "kg", "pack": 6, "variant": "Tradición"},
            }
        )
        provider: NormalizerProvider = make(fake, sleeps)
        result = provider.normalize(rows("gaseosa kola roman 1,5 lt", "cafe  sello rojo 500g x6"))
        first, second = result.suggestions
        assert (first.id, first.clean_name, first.brand) == (
            "p0",
            "Gaseosa Kola Roman 1,5 Lt",
            "Kola Román",
        )
        assert (first.size, first.unit, first.category) == (Decimal("1.5"), "L", "Bebidas")
        assert (second.size, second.unit, second.pack, second.variant) == (
            Decimal(500),
            "g",
            6,
            "Tradición",
        )
        assert first.reasons == ["gpt-4o: nombre ordenado"]
        assert result.provider == "openai"
        assert result.model == "gpt-4o"
        assert [(b.provider_used, b.attempts, b.reason) for b in result.batches] == [
            ("openai", 1, None)
        ]

    def test_request_is_a_structured_chat_completion(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        make(fake, sleeps, model="llama-3.1-8b").normalize(rows("Arroz Diana 500g"))
        (request,) = fake.requests
        body = request.json
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert body["model"] == "llama-3.1-8b"
        assert body["temperature"] == 0
        schema = body["response_format"]
        assert schema["type"] == "json_schema"
        assert schema["json_schema"]["strict"] is True
        assert schema["json_schema"]["schema"]["required"] == ["products", "duplicates"]

    def test_only_ids_names_categories_and_brands_are_sent(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        products = [
            PricedRow(id="a", name="Leche Alpina 1 L", price=Decimal("4200"), stock=31),
            PricedRow(id="b", name="Arroz Diana 500 g", price=Decimal("2500"), stock=7),
        ]
        brands = ["Colanta", "Alpina", "Zenú"]
        make(fake, sleeps, categories=["Lácteos", "Granos"], brands=brands).normalize(products)
        (request,) = fake.requests
        payload = request.payload
        assert payload["products"] == [
            {"id": "a", "name": "Leche Alpina 1 L"},
            {"id": "b", "name": "Arroz Diana 500 g"},
        ]
        assert payload["categories"] == ["Lácteos", "Granos"]
        assert payload["known_brands"] == ["Alpina", "Diana"]  # those the names mention
        raw = request.raw.decode().lower()
        for word in ("price", "stock", "4200", "2500", "precio", "existencia"):
            assert word not in raw

    def test_a_category_not_offered_is_replaced_by_locals(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.good({"p0": {"category": "Electrónica"}})
        provider = make(fake, sleeps, categories=["Lácteos", "Granos"])
        (suggestion,) = provider.normalize(rows("Leche Alpina entera 1 L")).suggestions
        local = LocalProvider(["Lácteos", "Granos"]).normalize(rows("Leche Alpina entera 1 L"))
        assert suggestion.category == local.suggestions[0].category == "Lácteos"
        assert any("Electrónica" in r for r in suggestion.reasons)


class TestInvalidAnswers:
    def test_malformed_json_is_retried_then_the_batch_is_local(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.content('{"products": [{"id": "p0", ')
        names = ("Cafe Nescafe Tradicion 170g", "  Cafe  Nescafe Tradicion 170 grs")
        result = make(fake, sleeps).normalize(rows(*names))
        assert len(fake.requests) == 2  # the answer and one retry
        (batch,) = result.batches
        assert (batch.provider_used, batch.attempts) == ("local", 2)
        assert batch.reason is not None
        assert "no es JSON" in batch.reason
        local = LocalProvider().normalize(rows(*names))
        for got, expected in zip(result.suggestions, local.suggestions, strict=True):
            assert got.clean_name == expected.clean_name
            assert got.reasons == [*expected.reasons, batch.reason]
        assert [g.ids for g in result.groups] == [["p0", "p1"]]
        assert result.usage is not None
        assert result.usage.requests == 2  # a rejected answer is still paid for

    def test_a_good_answer_on_the_retry_is_used(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.then(fake_.content("{not json"))
        result = make(fake, sleeps).normalize(rows("Arroz Diana 500g"))
        assert [(b.provider_used, b.attempts) for b in result.batches] == [("openai", 2)]
        assert result.suggestions[0].clean_name == "Arroz Diana 500G"

    def test_a_server_that_ignores_response_format_answers_prose(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.content("¡Claro! Aquí tienes el catálogo normalizado: Arroz Diana.")
        result = make(fake, sleeps, invalid_retries=2).normalize(rows("Arroz Diana 500g"))
        assert len(fake.requests) == 3
        (batch,) = result.batches
        assert batch.provider_used == "local"
        assert batch.reason is not None
        assert "3 veces" in batch.reason
        assert result.suggestions[0].clean_name == "Arroz Diana 500 g"

    @pytest.mark.parametrize(
        ("change", "why"),
        [
            (lambda data: data["products"].pop(), "exactamente"),
            (lambda data: data["products"][0].update(id="other"), "exactamente"),
            (lambda data: data["products"][0].update(unit="oz"), "esquema"),
            (lambda data: data["products"][0].update(size=5, unit=None), "esquema"),
            (lambda data: data["products"][0].update(price=100), "esquema"),
            (lambda data: data["products"][0].update(size=float("inf"), unit="g"), "esquema"),
            (lambda data: data.pop("duplicates"), "esquema"),
        ],
    )
    def test_an_answer_off_the_schema_is_rejected(
        self, fake: FakeOpenAI, sleeps: list[float], change: Any, why: str
    ) -> None:
        fake.default = fake_.edited(change)
        result = make(fake, sleeps, invalid_retries=0).normalize(rows("Arroz 500g", "Sal 1kg"))
        assert len(fake.requests) == 1
        (batch,) = result.batches
        assert batch.provider_used == "local"
        assert batch.reason is not None
        assert why in batch.reason


class TestTransport:
    def test_a_timeout_is_retried_then_the_batch_is_local(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.slow(30)  # released when the server stops
        result = make(fake, sleeps, timeout=0.5, max_retries=1).normalize(rows("Arroz 500g"))
        assert len(fake.requests) == 2
        assert len(sleeps) == 1
        (batch,) = result.batches
        assert (batch.provider_used, batch.attempts) == ("local", 2)
        assert batch.reason is not None
        assert "sin respuesta en 0.5 s" in batch.reason

    @pytest.mark.parametrize(
        ("headers", "wait"), [({"Retry-After": "3"}, 3.0), ({"retry-after-ms": "250"}, 0.25)]
    )
    def test_a_429_waits_what_retry_after_says_then_succeeds(
        self, fake: FakeOpenAI, sleeps: list[float], headers: dict[str, str], wait: float
    ) -> None:
        fake.then(fake_.status(429, headers))
        result = make(fake, sleeps).normalize(rows("Arroz 500g"))
        assert sleeps == [wait]
        assert len(fake.requests) == 2
        assert [(b.provider_used, b.attempts) for b in result.batches] == [("openai", 2)]
        assert result.usage is not None
        assert result.usage.requests == 1  # the 429 is not a completion

    def test_a_retry_after_beyond_the_limit_is_not_waited(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.status(429, {"Retry-After": "3600"})
        result = make(fake, sleeps).normalize(rows("Arroz 500g"))
        assert sleeps == []
        assert result.batches[0].provider_used == "local"

    def test_a_persistent_500_backs_off_exponentially_then_falls_back(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.status(500)
        result = make(fake, sleeps, max_retries=3, backoff=0.5).normalize(rows("Arroz 500g"))
        assert len(fake.requests) == 4
        assert len(sleeps) == 3
        for attempt, slept in enumerate(sleeps):  # jitter takes off up to a quarter
            assert 0.75 * 0.5 * 2**attempt <= slept <= 0.5 * 2**attempt
        (batch,) = result.batches
        assert (batch.provider_used, batch.attempts) == ("local", 4)
        assert batch.reason is not None
        assert "HTTP 500 tras 4 intentos" in batch.reason
        assert result.suggestions[0].clean_name == "Arroz 500 g"

    def test_after_batches_failing_in_a_row_the_rest_are_local_without_asking(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.status(503)
        provider = make(fake, sleeps, max_retries=0, batch_size=1, max_failed_batches=2)
        result = provider.normalize(rows("Arroz 500g", "Sal 1kg", "Azucar 1kg", "Panela 500g"))
        assert len(fake.requests) == 2
        assert [(b.provider_used, b.attempts) for b in result.batches] == [
            ("local", 1),
            ("local", 1),
            ("local", 0),
            ("local", 0),
        ]
        assert "modelo no disponible" in (result.batches[3].reason or "")

    def test_a_refusal_is_not_retried_and_stops_asking(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.status(401)
        result = make(fake, sleeps, batch_size=1).normalize(rows("Arroz 500g", "Sal 1kg"))
        assert len(fake.requests) == 1
        assert sleeps == []
        assert [b.provider_used for b in result.batches] == ["local", "local"]
        assert "HTTP 401" in (result.batches[0].reason or "")

    def test_a_server_that_is_not_there_falls_back(self, sleeps: list[float]) -> None:
        with socket.socket() as sock:  # a port nothing listens on once closed
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}/v1"
        provider = OpenAIProvider(KEY, url, timeout=0.5, max_retries=1, sleep=sleeps.append)
        result = provider.normalize(rows("Arroz 500g"))
        assert result.batches[0].provider_used == "local"
        assert len(sleeps) == 1


class TestDuplicates:
    names = (
        "Atun Van Camps aceite 160g",  # p0
        "Atun lomitos Van Camps aceite 160 g",  # p1: local does not join it
        "Atun Van Camps aceite 160 g",  # p2: local joins it to p0
        "Gaseosa Kola Roman 400ml",  # p3
        "Kola Roman 1.5 L",  # p4
        "Cerveza Aguila 330ml x6",  # p5
        "Cerveza Aguila 330ml",  # p6
        "Gaseosa Postobon Manzana 400ml",  # p7
        "Gaseosa Postobon Uva 400ml",  # p8
    )

    def normalize(
        self, fake: FakeOpenAI, sleeps: list[float], groups: list[list[str]], **kw: Any
    ) -> list[tuple[list[str], str]]:
        fake.default = fake_.good(groups=groups)
        result = make(fake, sleeps, **kw).normalize(rows(*self.names))
        return [(g.ids, g.reason) for g in result.groups]

    def test_a_group_the_model_finds_joins_the_local_one(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        ((ids, reason),) = self.normalize(fake, sleeps, [["p1", "p0"]])
        assert ids == ["p0", "p1", "p2"]
        assert "modelo: misma cosa" in reason
        assert "misma escritura" in reason  # the local group's reason

    def test_the_model_never_joins_sizes_packs_or_flavours(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        groups = self.normalize(fake, sleeps, [["p3", "p4"], ["p5", "p6"], ["p7", "p8"]])
        assert [ids for ids, _ in groups] == [["p0", "p2"]]  # only local's

    def test_a_group_is_split_by_what_it_mixes(self, fake: FakeOpenAI, sleeps: list[float]) -> None:
        groups = self.normalize(fake, sleeps, [["p0", "p1", "p4", "p5"]])
        assert [ids for ids, _ in groups] == [["p0", "p1", "p2"]]

    def test_unknown_ids_are_dropped(self, fake: FakeOpenAI, sleeps: list[float]) -> None:
        groups = self.normalize(fake, sleeps, [["p1", "ghost"], ["p0", "p1", "nope"]])
        assert [ids for ids, _ in groups] == [["p0", "p1", "p2"]]

    def test_ids_of_another_batch_are_not_the_models_to_group(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        groups = self.normalize(fake, sleeps, [["p0", "p1"]], batch_size=1)
        assert [ids for ids, _ in groups] == [["p0", "p2"]]  # local's span batches

    def test_the_models_own_sizes_and_variants_split_a_group(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.default = fake_.good(
            {
                "p0": {"variant": "Limón"},
                "p1": {"variant": "Floral"},
                "p2": {"size": 1, "unit": "kg"},
            },
            groups=[["p0", "p1"], ["p2", "p3"]],
        )
        names = ("Detergente Fab x", "Detergente Fab y", "Jabon Rey", "Jabon Rey")
        result = make(fake, sleeps).normalize(rows(*names))
        assert all("modelo" not in g.reason for g in result.groups)


class TestSecrets:
    def test_the_key_is_in_no_log_reason_repr_or_result(
        self, fake: FakeOpenAI, sleeps: list[float], caplog: pytest.LogCaptureFixture
    ) -> None:
        echo = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "auth"}}
        fake.then(
            fake_.status(429, {"Retry-After": "0"}),
            fake_.content("nope"),
            fake_.content("nope"),
            fake_.status(500),
            fake_.status(500),
            fake_.status(500),
            fake_.status(401, body=echo),
        )
        caplog.set_level(logging.DEBUG)
        provider = make(fake, sleeps, batch_size=1, max_failed_batches=5)
        result = provider.normalize(rows("Arroz 500g", "Sal 1kg", "Azucar 1kg", "Panela 1kg"))
        assert [b.provider_used for b in result.batches] == ["local"] * 4
        loggers = {r.name.split(".")[0] for r in caplog.records}
        assert {"openai", "stocky"} <= loggers  # the SDK's debug lines were captured too
        assert KEY not in caplog.text
        assert all(KEY not in str(r.args) for r in caplog.records)
        assert KEY not in result.model_dump_json()
        assert KEY not in repr(provider)
        assert KEY not in str(provider)

    def test_the_key_is_in_no_exception(self, fake: FakeOpenAI) -> None:
        with pytest.raises(ValueError, match="batch_size") as raised:
            OpenAIProvider(KEY, fake.base_url, batch_size=0)
        assert KEY not in str(raised.value)
        assert KEY not in repr(raised.value)

    def test_a_key_echoed_in_an_error_is_redacted(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        provider = make(fake, sleeps)
        assert provider._redact(f"bad key {KEY}!") == "bad key [clave]!"


class TestUsage:
    def test_tokens_and_cost_are_summed_across_batches(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        fake.then(fake_.good(), fake_.content("not json"))  # batch 2 needs two answers
        provider = make(fake, sleeps, batch_size=2)
        result = provider.normalize(rows("Arroz 500g", "Sal 1kg", "Azucar 1kg", "Panela 1kg", "Té"))
        assert len(result.batches) == 3
        assert result.usage is not None
        usage = result.usage
        assert usage.requests == 4
        assert usage.prompt_tokens == 4 * fake_.PROMPT_TOKENS
        assert usage.completion_tokens == 4 * fake_.COMPLETION_TOKENS
        expected = (Decimal(480) * Decimal("2.50") + Decimal(120) * Decimal("10.00")) / 10**6
        assert usage.cost_usd == expected

    def test_a_model_without_a_price_has_no_cost(
        self, fake: FakeOpenAI, sleeps: list[float]
    ) -> None:
        result = make(fake, sleeps, model="qwen2.5:7b").normalize(rows("Arroz 500g"))
        assert result.usage is not None
        assert (result.usage.prompt_tokens, result.usage.cost_usd) == (120, None)

    def test_a_dated_snapshot_is_priced_as_its_family(self) -> None:
        assert price_of("gpt-4o-2024-08-06", PRICES) == PRICES["gpt-4o"]
        assert price_of("gpt-4o-mini-2024-07-18", PRICES) == PRICES["gpt-4o-mini"]
        assert price_of("gpt-4omni", PRICES) == ()

    def test_retry_after_spellings(self) -> None:
        assert retry_after({"retry-after": "2"}) == 2.0
        assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
        assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
        assert retry_after({"retry-after": "soon"}) is None
        assert retry_after({}) is None
