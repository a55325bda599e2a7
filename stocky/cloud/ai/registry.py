"""Which normalizer provider a tenant gets: by name, `local` unless `openai` is configured
(a key on the server) and importable. The key is read here and handed to the provider only."""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stocky.cloud.ai.provider import LocalProvider, NormalizerProvider
from stocky.cloud.config import Settings

log = logging.getLogger(__name__)

PROVIDERS = ("local", "openai")
DEFAULT_OPENAI_MODEL = "gpt-4o"

# The local rules' version is their source: any change of a rule invalidates cached results.
_RULES: tuple[str, ...] = ("brands", "categories", "duplicates", "normalize", "provider")
_RULES += ("schemas", "text", "units", "vocab")
_HERE = Path(__file__).parent
RULES_VERSION = hashlib.sha256(
    b"".join((_HERE / f"{name}.py").read_bytes() for name in _RULES)
).hexdigest()[:16]


@dataclass(frozen=True)
class AiConfig:
    """A tenant's choice (tenants.settings["ai"]); never holds the key."""

    provider: str = "local"
    model: str | None = None
    base_url: str | None = None

    @classmethod
    def from_settings(cls, tenant_settings: dict[str, Any] | None) -> AiConfig:
        raw = (tenant_settings or {}).get("ai") or {}
        return cls(
            provider=str(raw.get("provider") or "local"),
            model=raw.get("model") or None,
            base_url=raw.get("base_url") or None,
        )


@dataclass(frozen=True)
class Chosen:
    """The provider that will run, and what the cache key needs to know of it."""

    provider: NormalizerProvider
    name: str
    model: str | None
    version: str
    fell_back: bool = False


def openai_configured(settings: Settings) -> bool:
    key = settings.ai_openai_api_key
    return key is not None and bool(key.get_secret_value())


def _openai(
    settings: Settings,
    config: AiConfig,
    categories: Sequence[str] | None,
    brands: Sequence[str],
) -> NormalizerProvider | None:
    """The openai provider, or None when it is not configured or not installed."""
    if not openai_configured(settings):
        return None
    try:
        module = importlib.import_module("stocky.cloud.ai.openai_provider")
    except ImportError:
        log.warning("the openai provider is not installed; using local")
        return None
    factory = getattr(module, "OpenAIProvider", None)
    if factory is None:
        return None
    assert settings.ai_openai_api_key is not None
    provider: NormalizerProvider = factory(
        api_key=settings.ai_openai_api_key.get_secret_value(),
        model=config.model or DEFAULT_OPENAI_MODEL,
        base_url=config.base_url,
        categories=list(categories) if categories else None,
        brands=list(brands),
    )
    return provider


def _prompt_version() -> str:
    try:
        module = importlib.import_module("stocky.cloud.ai.prompt")
    except ImportError:
        return "1"
    return str(getattr(module, "PROMPT_VERSION", "1"))


def choose(
    settings: Settings,
    config: AiConfig,
    *,
    requested: str | None = None,
    categories: Sequence[str] | None = None,
    brands: Sequence[str] = (),
) -> Chosen:
    """The provider named by the request, else the tenant's; `openai` falls back to `local`
    when the server has no key for it. `brands`: the catalog's, for a model (`local` learns
    them from the rows it is given)."""
    name = requested or config.provider
    if name not in PROVIDERS:
        raise ValueError(name)
    if name == "openai":
        provider = _openai(settings, config, categories, brands)
        if provider is not None:
            model = config.model or DEFAULT_OPENAI_MODEL
            version = _prompt_version()
            return Chosen(provider, "openai", model, version)
    local = LocalProvider(categories)
    return Chosen(local, "local", None, RULES_VERSION, fell_back=name != "local")
