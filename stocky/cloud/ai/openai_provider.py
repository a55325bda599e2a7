"""The `openai` normalizer provider: any OpenAI-compatible chat completions endpoint (GPT-4o by
default) through the official SDK, with `local` behind it.

Rows go to the model in batches, sorted by brand and words so that names alike share one.
Each answer must be the JSON of `prompt.Answer` for exactly the batch's ids; many compatible
servers ignore `response_format`, so an answer that is not is asked again (`invalid_retries`)
and then that batch is answered by `local`, the reason kept in `NormalizeResult.batches` and
in each suggestion's reasons. 429, 408/409, 5xx, timeouts and connection errors are retried
with exponential backoff, honouring Retry-After; when they persist, or the server refuses the
request (400, 401, 403, 404), the batch falls back, and after `max_failed_batches` such
batches in a row (or one refusal) the rest do without asking. Tokens are summed over every
request, rejected answers included, and priced from `PRICES`.

Duplicates are the local groups of the whole input (they span batches) joined with the
groups the model proposes, after checking them: ids not in the batch are dropped, and a group
is split by size, pack, brand and variant as the local normalizer reads the names and by the
size, pack and variant the model itself gave. So the model can find what the rules miss but
never merges two sizes, packs or flavours. The API key goes to the SDK and nowhere else: no
log line, reason or repr names it.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import ValidationError

from stocky.cloud.ai import prompt
from stocky.cloud.ai.categories import DEFAULT_TAXONOMY
from stocky.cloud.ai.duplicates import find_duplicates
from stocky.cloud.ai.normalize import Analysed, Normalizer
from stocky.cloud.ai.schemas import (
    BatchReport,
    DuplicateGroup,
    NormalizeResult,
    ProductRow,
    Suggestion,
    Usage,
)
from stocky.cloud.ai.text import fold
from stocky.cloud.ai.units import make_size, plain

log = logging.getLogger(__name__)

# USD per million tokens (input, output), from OpenAI's price list; a dated snapshot
# ("gpt-4o-2024-08-06") is priced as its family, the longest matching name.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
}
_MILLION = Decimal(1_000_000)
_RETRY_STATUSES = frozenset({408, 409, 429})
_MAX_BACKOFF = 8.0
_MAX_BRANDS = 200


def price_of(model: str, prices: Mapping[str, tuple[Decimal, Decimal]]) -> tuple[Decimal, ...]:
    """The (input, output) price of a model, or () when it has none."""
    names = [name for name in prices if model == name or model.startswith(f"{name}-")]
    return prices[max(names, key=len)] if names else ()


class _Unavailable(Exception):
    """The model could not be asked: `final` when asking again will not help (auth, 4xx)."""

    def __init__(self, reason: str, attempts: int, final: bool) -> None:
        super().__init__(reason)
        self.reason, self.attempts, self.final = reason, attempts, final


class _Invalid(Exception):
    pass


@dataclass
class _Run:
    usage: Usage
    prices: tuple[Decimal, ...]
    down: str | None = None  # why the model is no longer asked in this run
    failed_in_a_row: int = 0
    proposed: list[tuple[list[str], float, str]] = field(default_factory=list)

    def add(self, completion: ChatCompletion) -> None:
        self.usage.requests += 1
        if completion.usage is None:
            return
        self.usage.prompt_tokens += completion.usage.prompt_tokens
        self.usage.completion_tokens += completion.usage.completion_tokens
        if self.prices:
            into, out = self.prices
            self.usage.cost_usd = (
                Decimal(self.usage.prompt_tokens) * into
                + Decimal(self.usage.completion_tokens) * out
            ) / _MILLION


class OpenAIProvider:
    """Normalizes through a chat completions model, falling back to `local` per batch."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "gpt-4o",
        timeout: float = 60.0,
        max_retries: int = 3,
        *,
        categories: Sequence[str] | None = None,
        brands: Sequence[str] = (),
        batch_size: int = 50,
        invalid_retries: int = 1,
        max_failed_batches: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        prices: Mapping[str, tuple[Decimal, Decimal]] = PRICES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1 or max_retries < 0 or invalid_retries < 0 or max_failed_batches < 1:
            raise ValueError("batch_size and max_failed_batches >= 1, retries >= 0")
        self.base_url, self.model, self.timeout = base_url, model, timeout
        self.max_retries, self.invalid_retries = max_retries, invalid_retries
        self.categories = list(categories) if categories else None
        self.brands = list(brands)
        self.batch_size, self.max_failed_batches = batch_size, max_failed_batches
        self.backoff, self.max_retry_after = backoff, max_retry_after
        self.prices, self._sleep = prices, sleep
        self._secret = api_key
        # The SDK's own retries are off: ours honour Retry-After and are counted per batch.
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    def __repr__(self) -> str:
        return f"OpenAIProvider(model={self.model!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._client.close()

    def normalize(self, rows: Sequence[ProductRow]) -> NormalizeResult:
        """Suggestions for every row (in their order) and the groups of likely duplicates."""
        rows = list(rows)
        analysed = Normalizer(rows, self.categories).analyse()
        local = {a.suggestion.id: a for a in analysed}
        run = _Run(Usage(cost_usd=Decimal(0) if self._prices() else None), self._prices())
        answered: dict[str, Suggestion] = {}
        reports: list[BatchReport] = []
        for index, batch in enumerate(self._batches(rows, analysed)):
            report = self._batch(index, batch, local, run, answered)
            reports.append(report)
        groups = _join(
            find_duplicates([a.suggestion.id for a in analysed], [a.features for a in analysed]),
            _checked(run.proposed, local, answered),
            local,
        )
        return NormalizeResult(
            provider=self.name,
            suggestions=[answered.get(r.id, local[r.id].suggestion) for r in rows],
            groups=groups,
            model=self.model,
            usage=run.usage,
            batches=reports,
        )

    def _prices(self) -> tuple[Decimal, ...]:
        return price_of(self.model, self.prices)

    def _batches(
        self, rows: list[ProductRow], analysed: list[Analysed]
    ) -> Iterable[list[ProductRow]]:
        """Batches of rows sorted by brand and words, so that likely duplicates meet."""
        order = sorted(
            range(len(rows)),
            key=lambda i: (analysed[i].features.brand or "", analysed[i].features.tokens, i),
        )
        for start in range(0, len(order), self.batch_size):
            yield [
                ProductRow(id=rows[i].id, name=rows[i].name)
                for i in order[start : start + self.batch_size]
            ]

    def _batch(
        self,
        index: int,
        rows: list[ProductRow],
        local: dict[str, Analysed],
        run: _Run,
        answered: dict[str, Suggestion],
    ) -> BatchReport:
        if run.down is not None:
            return self._fallback(index, rows, local, 0, run.down)
        try:
            answer, attempts = self._ask(rows, local, run)
        except _Unavailable as gone:
            run.failed_in_a_row += 1
            if gone.final or run.failed_in_a_row >= self.max_failed_batches:
                run.down = f"modelo no disponible ({gone.reason})"
            return self._fallback(index, rows, local, gone.attempts, gone.reason)
        except _Invalid as bad:
            run.failed_in_a_row = 0
            return self._fallback(index, rows, local, self.invalid_retries + 1, str(bad))
        run.failed_in_a_row = 0
        for item in answer.products:
            answered[item.id] = self._suggestion(item, local[item.id].suggestion)
        batch_ids = {r.id for r in rows}
        for group in answer.duplicates:  # ids the model was not asked about are dropped
            ids = [i for i in group.ids if i in batch_ids]
            run.proposed.append((ids, group.confidence * 100, group.reason))
        return BatchReport(index=index, rows=len(rows), provider_used=self.name, attempts=attempts)

    def _fallback(
        self,
        index: int,
        rows: list[ProductRow],
        local: dict[str, Analysed],
        attempts: int,
        why: str,
    ) -> BatchReport:
        reason = self._redact(f"respondió local: {why}")
        log.warning("ai.normalize batch %d (%d rows) %s", index, len(rows), reason)
        for row in rows:
            local[row.id].suggestion.reasons.append(reason)
        return BatchReport(
            index=index, rows=len(rows), provider_used="local", attempts=attempts, reason=reason
        )

    def _ask(
        self, rows: list[ProductRow], local: dict[str, Analysed], run: _Run
    ) -> tuple[prompt.Answer, int]:
        """The batch's validated answer and the requests it took; `_Invalid` when the model
        kept answering something else, `_Unavailable` when it could not be asked."""
        categories = self.categories or list(DEFAULT_TAXONOMY)
        messages = prompt.messages(rows, categories, self._brands_for(rows, local))
        ids = sorted(r.id for r in rows)
        attempts, why = 0, ""
        for _ in range(self.invalid_retries + 1):
            completion, tries = self._complete(messages)
            attempts += tries
            run.add(completion)
            try:
                return _parse(completion, ids), attempts
            except _Invalid as bad:
                why = str(bad)
                log.info("ai.normalize answer rejected: %s", why)
        raise _Invalid(f"respuesta inválida {self.invalid_retries + 1} veces ({why})")

    def _brands_for(self, rows: list[ProductRow], local: dict[str, Analysed]) -> list[str]:
        """The known brands a batch's names mention, and those local found in them: a
        catalog's thousands of brands are not sent with every batch."""
        text = " ".join(fold(row.name) for row in rows)
        found = {b for b in self.brands if len(b) > 1 and fold(b) in text}
        found |= {s.brand for s in (local[r.id].suggestion for r in rows) if s.brand}
        return sorted(found)[:_MAX_BRANDS]

    def _complete(self, messages: list[ChatCompletionMessageParam]) -> tuple[ChatCompletion, int]:
        for attempt in range(self.max_retries + 1):
            try:
                completion = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,
                    response_format=prompt.response_format(),
                    temperature=0,
                )
                return completion, attempt + 1
            except openai.APITimeoutError:
                why, delay = f"sin respuesta en {self.timeout:g} s", None
            except openai.APIConnectionError:
                why, delay = "no se pudo conectar", None
            except openai.APIStatusError as error:
                why = f"HTTP {error.status_code}"
                if error.status_code not in _RETRY_STATUSES and error.status_code < 500:
                    raise _Unavailable(why, attempt + 1, final=True) from None
                delay = retry_after(error.response.headers)
                if delay is not None and delay > self.max_retry_after:
                    raise _Unavailable(
                        f"{why}, Retry-After {delay:g} s", attempt + 1, final=False
                    ) from None
            if attempt == self.max_retries:
                raise _Unavailable(f"{why} tras {attempt + 1} intentos", attempt + 1, False)
            if delay is None:
                delay = min(self.backoff * 2**attempt, _MAX_BACKOFF) * (1 - random.random() / 4)
            log.info("ai.normalize %s, retrying in %.2f s", why, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _suggestion(self, item: prompt.AnswerItem, fallback: Suggestion) -> Suggestion:
        reasons = [f"{self.model}: {item.reason}"]
        category = item.category
        allowed = self.categories or list(DEFAULT_TAXONOMY)
        if category is not None and category not in allowed:
            reasons.append(f"categoría «{category}» no está en el catálogo: la de local")
            category = fallback.category
        size = unit = None
        if item.size is not None and item.unit is not None:
            made = make_size(Decimal(repr(item.size)), item.unit.lower())
            size, unit = made.amount, made.unit
        return Suggestion(
            id=item.id,
            clean_name=" ".join(item.clean_name.split()),
            brand=item.brand,
            variant=item.variant,
            size=size,
            unit=unit,
            pack=item.pack,
            category=category,
            confidence=item.confidence,
            reasons=reasons,
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "[clave]") if self._secret else text


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 or 503 asks to wait (Retry-After-Ms, Retry-After in seconds or as a
    date), or None when it does not say."""
    for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(float(value) / scale, 0.0)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(float(email.utils.mktime_tz(parsed) - time.time()), 0.0)
    return None


def _parse(completion: ChatCompletion, ids: list[str]) -> prompt.Answer:
    if not completion.choices or not completion.choices[0].message.content:
        raise _Invalid("respuesta vacía")
    text = completion.choices[0].message.content
    try:
        data = json.loads(text)
    except ValueError:
        raise _Invalid("no es JSON") from None
    try:
        answer = prompt.Answer.model_validate(data)
    except ValidationError as error:
        raise _Invalid(f"no sigue el esquema ({error.error_count()} errores)") from None
    if sorted(item.id for item in answer.products) != ids:
        raise _Invalid("no responde exactamente los productos pedidos")
    return answer


def _key(analysed: Analysed, suggestion: Suggestion) -> tuple[object, ...]:
    """What two products must share to be one: size, pack, brand and variant as local reads
    the names, and the size, pack and variant the model gave."""
    f = analysed.features
    said = None
    if suggestion.size is not None and suggestion.unit is not None:
        made = make_size(suggestion.size, suggestion.unit.lower())
        said = (made.dimension, plain(made.base), suggestion.pack)
    variant = fold(" ".join(suggestion.variant.split())) if suggestion.variant else None
    return (f.signature, f.brand, f.variants, said, variant)


def _checked(
    proposed: list[tuple[list[str], float, str]],
    local: dict[str, Analysed],
    answered: dict[str, Suggestion],
) -> list[DuplicateGroup]:
    """The model's groups with unknown ids dropped, each id in one group, split by `_key`."""
    taken: set[str] = set()
    out: list[DuplicateGroup] = []
    for ids, score, reason in proposed:
        known = [i for i in dict.fromkeys(ids) if i in answered and i not in taken]
        parts: dict[tuple[object, ...], list[str]] = defaultdict(list)
        for i in known:
            parts[_key(local[i], answered[i])].append(i)
        for part in parts.values():
            if len(part) > 1:
                taken.update(part)
                out.append(
                    DuplicateGroup(
                        ids=sorted(part), score=round(score, 1), reason=f"modelo: {reason}"
                    )
                )
    return out


class _Sets:
    """Union-find whose groups never hold two sizes, brands or variants."""

    def __init__(self, local: dict[str, Analysed]) -> None:
        self.parent: dict[str, str] = {}
        self.traits: dict[str, tuple[set[object], set[object], set[object]]] = {}
        self.local = local

    def find(self, i: str) -> str:
        if i not in self.parent:
            f = self.local[i].features
            self.parent[i] = i
            traits: tuple[set[object], set[object], set[object]] = (
                set() if f.signature is None else {f.signature},
                set() if f.brand is None else {f.brand},
                {f.variants},
            )
            self.traits[i] = traits
        while self.parent[i] != i:
            i = self.parent[i]
        return i

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        (sa, ba, va), (sb, bb, vb) = self.traits[ra], self.traits[rb]
        joined = (sa | sb, ba | bb, va | vb)
        if any(len(s) > 1 for s in joined):
            return False
        self.parent[rb] = ra
        self.traits[ra] = joined
        return True


def _join(
    local_groups: list[DuplicateGroup],
    model_groups: list[DuplicateGroup],
    local: dict[str, Analysed],
) -> list[DuplicateGroup]:
    """Local groups joined with the model's where they agree on size, brand and variant."""
    sets = _Sets(local)
    notes: dict[str, list[DuplicateGroup]] = defaultdict(list)
    for group in (*local_groups, *model_groups):
        head = group.ids[0]
        for other in group.ids[1:]:
            sets.union(head, other)
    for group in (*local_groups, *model_groups):
        notes[sets.find(group.ids[0])].append(group)
    members: dict[str, list[str]] = defaultdict(list)
    for i in list(sets.parent):
        members[sets.find(i)].append(i)
    out: list[DuplicateGroup] = []
    for root, ids in members.items():
        if len(ids) < 2:
            continue
        sources = notes[root]
        if not sources:
            continue
        out.append(
            DuplicateGroup(
                ids=sorted(ids),
                score=min(g.score for g in sources),
                reason="; ".join(dict.fromkeys(g.reason for g in sources)),
            )
        )
    return sorted(out, key=lambda g: g.ids)
