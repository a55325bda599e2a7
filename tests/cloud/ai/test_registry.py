"""Which provider runs: `local` by default and whenever the server has no key for `openai`;
`openai` with the tenant's model and base_url when it has one. The key never shows."""

from __future__ import annotations

from pydantic import SecretStr

from stocky.cloud.ai.openai_provider import OpenAIProvider
from stocky.cloud.ai.provider import LocalProvider
from stocky.cloud.ai.registry import DEFAULT_OPENAI_MODEL, RULES_VERSION, AiConfig, choose
from stocky.cloud.config import Settings

KEY = "sk-test-never-shown"


def test_local_by_default_and_without_a_key() -> None:
    settings = Settings()
    chosen = choose(settings, AiConfig())
    assert (chosen.name, chosen.version, chosen.fell_back) == ("local", RULES_VERSION, False)
    assert isinstance(chosen.provider, LocalProvider)
    fallback = choose(settings, AiConfig(provider="openai", model="llama3"))
    assert (fallback.name, fallback.model, fallback.fell_back) == ("local", None, True)


def test_openai_with_a_key_takes_the_tenants_model_and_base_url() -> None:
    settings = Settings(ai_openai_api_key=SecretStr(KEY))
    config = AiConfig(provider="openai", model="llama3", base_url="http://llm.local:8080/v1")
    chosen = choose(settings, config, categories=["Granos"], brands=["Diana"])
    assert isinstance(chosen.provider, OpenAIProvider)
    assert (chosen.name, chosen.model) == ("openai", "llama3")
    assert chosen.provider.base_url == "http://llm.local:8080/v1"
    assert chosen.provider.brands == ["Diana"]
    assert KEY not in repr(chosen)
    default = choose(settings, AiConfig(provider="openai"))
    assert default.model == DEFAULT_OPENAI_MODEL
    # A request may ask for local whatever the tenant chose.
    assert choose(settings, config, requested="local").name == "local"


def test_tenant_settings_never_hold_a_key() -> None:
    config = AiConfig.from_settings({"ai": {"provider": "openai", "api_key": KEY}})
    assert KEY not in repr(config)
