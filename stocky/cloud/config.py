"""Cloud settings: one object, read from STOCKY_* environment variables, passed down."""

from __future__ import annotations

import ipaddress
from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stocky.core.clock import DEFAULT_CLOCK_SKEW_THRESHOLD_S

DEV_APP_DB_PASSWORD = "stocky-app-dev"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKY_", env_file=None, extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Field(default=Path(".stocky"), description="Embedded services and keys")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the schema owner (runs migrations). Empty: embedded.",
    )
    app_database_url: str | None = Field(
        default=None,
        description="URL the API connects with, as the application role. Empty: derived.",
    )
    app_db_role: str = "stocky_app"
    app_db_password: SecretStr = SecretStr(DEV_APP_DB_PASSWORD)
    redis_url: str | None = Field(default=None, description="Redis URL. Empty: embedded.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = Field(default=None, description="URL cajas use to reach the cloud")
    # TLS (docs/tls.md): `serve` speaks HTTPS and WSS itself when a certificate is set; behind
    # a TLS-terminating proxy, leave these empty and list the proxy in trusted_proxies.
    tls_certfile: Path | None = Field(default=None, description="PEM certificate chain")
    tls_keyfile: Path | None = Field(default=None, description="PEM private key")
    tls_ca_certs: Path | None = Field(
        default=None, description="CA bundle of client certificates (rarely needed)"
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or CIDRs (comma list) whose X-Forwarded-For/-Proto are believed;"
        " empty: none, not even 127.0.0.1",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Ed25519 private key (PEM) for tokens; empty: kept in data dir"
    )
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=30, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    idle_in_transaction_timeout_ms: int = Field(default=10_000, ge=100)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    presence_timeout_s: float = Field(
        default=90.0, gt=0, description="A sede silent this long (no ping, no socket) is offline"
    )
    presence_interval_s: float = Field(
        default=15.0, gt=0, description="How often the presence job looks for silent sedes"
    )
    clock_skew_threshold_s: float = Field(
        default=DEFAULT_CLOCK_SKEW_THRESHOLD_S,
        gt=0,
        description="A caja whose clock is further than this off the cloud's is flagged",
    )
    lan_lease_seconds: float = Field(
        default=6.0,
        ge=1.0,
        le=300.0,
        description="How long a sede's LAN master holds its lease without renewing it",
    )
    # The jobs tier (stocky.cloud.jobs): procrastinate workers on the cloud's PostgreSQL.
    worker_concurrency: int = Field(
        default=4, ge=1, le=64, description="Jobs one worker process runs at the same time"
    )
    worker_heartbeat_s: float = Field(
        default=5.0, gt=0, description="How often a worker tells the database it is alive"
    )
    worker_stalled_after_s: float = Field(
        default=30.0,
        gt=0,
        description="A worker silent this long is dead: its running jobs are retried",
    )
    worker_shutdown_timeout_s: float = Field(
        default=30.0, gt=0, description="On SIGTERM, how long running jobs may take to finish"
    )
    # Product images (stocky.cloud.storage): a local folder unless an s3:// URL is set.
    media_dir: Path | None = Field(
        default=None, description="Folder of the local object storage. Empty: data_dir/media"
    )
    object_storage_url: str | None = Field(
        default=None,
        pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$",
        description="s3://bucket/prefix for S3 or an S3-compatible server. Empty: media_dir",
    )
    object_storage_endpoint: str | None = Field(
        default=None, description="Endpoint of an S3-compatible server (MinIO...). Empty: AWS"
    )
    object_storage_region: str | None = Field(default=None, description="Empty: boto3's own")
    media_secret: SecretStr | None = Field(
        default=None, description="Signs local image URLs. Empty: derived from the token keys"
    )
    media_url_ttl_s: int = Field(
        default=3600, ge=60, description="Image URLs live between this and twice this long"
    )
    max_image_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    installer_download_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="Base URL serving <os>/<version>/<file> (docs/storage.md). Empty: storage",
    )
    # Caja backups (stocky.cloud.backups): the largest snapshot accepted, and how many the
    # cloud keeps per caja (older ones are deleted with their objects).
    max_backup_bytes: int = Field(default=256 * 1024 * 1024, ge=4096)
    backup_keep_per_device: int = Field(default=14, ge=1)
    # The AI catalog normalizer (stocky.cloud.ai): provider, model and base_url are per tenant
    # (GET/PUT /api/ai/settings); the API key only ever comes from here, never from a tenant.
    ai_openai_api_key: SecretStr | None = Field(
        default=None, description="Key of the OpenAI-compatible endpoint. Empty: 'local' only"
    )
    ai_rate_capacity: int = Field(
        default=10, ge=1, description="Normalize calls a tenant may make in one burst"
    )
    ai_rate_per_minute: float = Field(
        default=20.0, gt=0, description="Normalize calls a tenant's bucket refills per minute"
    )
    ai_cache_ttl_s: int = Field(default=86400, ge=1, description="How long results are cached")
    ai_sync_max_items: int = Field(
        default=500, ge=1, description="Products one POST /api/ai/normalize may carry"
    )
    ai_batch_size: int = Field(
        default=200, ge=1, description="Products a catalog run stores (and reports) at a time"
    )
    # Observability (stocky.cloud.observability): logs, and who may read /metrics.
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="Log lines as JSON or text. Empty: json in production"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token that may read /metrics from any address"
    )
    metrics_allow: list[IPvAnyNetwork] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")],
        description="Addresses that may read /metrics without the token (JSON list of CIDRs)",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.mode == "production":
            if self.app_db_password.get_secret_value() == DEV_APP_DB_PASSWORD:
                raise ValueError("STOCKY_APP_DB_PASSWORD must be set in production mode")
            if self.database_url is None:
                raise ValueError("STOCKY_DATABASE_URL must be set in production mode")
            if self.redis_url is None:
                raise ValueError("STOCKY_REDIS_URL must be set in production mode")
        return self

    @property
    def media_root(self) -> Path:
        return self.media_dir if self.media_dir is not None else self.data_dir / "media"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or CIDR") from exc
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if self.tls_certfile is None and (self.tls_keyfile or self.tls_ca_certs):
            raise ValueError("STOCKY_TLS_KEYFILE and STOCKY_TLS_CA_CERTS need STOCKY_TLS_CERTFILE")
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_certfile is not None else "http"
        return self.public_url or f"{scheme}://{self.host}:{self.port}"

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.mode == "production" else "text"
