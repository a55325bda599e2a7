"""The caja's settings: STOCKY_EDGE_* environment variables, overridden by CLI flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stocky.core.clock import DEFAULT_CLOCK_SKEW_THRESHOLD_S

STORE_FILENAME: Final = "caja.db"


def store_path(data_dir: Path) -> Path:
    """Where a caja's SQLite file lives inside its data dir (activation writes the same file)."""
    return data_dir / STORE_FILENAME


def parse_peers(text: str) -> list[tuple[str, int]]:
    """`host:port, host:port` as (host, port) pairs; a bad entry names itself."""
    peers: list[tuple[str, int]] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{entry!r} is not host:port")
        peers.append((host.strip("[]"), int(port)))
    return peers


class EdgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKY_EDGE_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path(".stocky-caja"), description="The caja's data folder")
    host: str = Field(default="127.0.0.1", description="Local API address (loopback only)")
    port: int = Field(default=8765, ge=1, le=65535, description="Local API port")
    cloud_url: str | None = Field(
        default=None,
        description="Reach the cloud here for this run instead of the stored address"
        " (`stocky edge set-cloud` changes the stored one)",
    )
    # TLS to the cloud (docs/tls.md, stocky.edge.tls): which CAs to trust, and whether plain
    # http to a cloud off this machine is let through.
    ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of the CAs that sign the cloud's certificate"
        " (default: the system store, or certifi's)",
    )
    allow_insecure: bool = Field(
        default=False, description="Allow http:// to a cloud that is not on this machine"
    )
    session_idle_hours: float = Field(
        default=8.0, gt=0, description="A local session ends after this long without use"
    )
    # Short on purpose: a hung link (the cloud's process stopped, a dead router) must show
    # "Sin conexión" within seconds, not after a 30 s read timeout (issue 12, item 5).
    ping_seconds: float = Field(default=3.0, gt=0, description="Cloud heartbeat interval")
    ping_timeout_seconds: float = Field(
        default=2.0, gt=0, description="A heartbeat unanswered after this long counts as lost"
    )
    connect_timeout_seconds: float = Field(
        default=2.0, gt=0, description="Give up opening a connection to the cloud after this"
    )
    push_timeout_seconds: float = Field(
        default=5.0, gt=0, description="A push (<= 50 ops) unanswered after this is retried"
    )
    pull_timeout_seconds: float = Field(
        default=15.0, gt=0, description="A pull or refetch page unanswered after this is retried"
    )
    pull_poll_seconds: float = Field(default=300.0, gt=0, description="Pull at least this often")
    checksum_verify_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Compare every synced table with the cloud's checksums at least this often",
    )
    clock_skew_threshold_seconds: float = Field(
        default=DEFAULT_CLOCK_SKEW_THRESHOLD_S,
        gt=0,
        description="The status bar warns when this caja's clock is further off the cloud's",
    )

    # Backups (issue 19 item 5, docs/backups.md): a local snapshot this often, uploaded when
    # the caja is activated; the newest backup_keep stay in <data dir>/backups.
    backup_interval_hours: float = Field(
        default=4.0, ge=0, description="Snapshot the database this often (0: never on schedule)"
    )
    backup_keep: int = Field(default=7, ge=1, le=1000, description="Local snapshots kept")
    backup_upload: bool = Field(
        default=True, description="Upload each scheduled snapshot to the cloud"
    )

    # LAN between the cajas of one sede (issue 16, ARCHITECTURE §5). `auto`: on when the
    # sede has another active caja (pulled from the cloud) or static peers are set.
    lan: Literal["auto", "on", "off"] = Field(
        default="auto", description="LAN sync with the sede's other cajas: auto, on or off"
    )
    lan_host: str = Field(
        default="0.0.0.0", description="Address the LAN server listens on (mutual TLS)"
    )
    lan_port: int = Field(default=3001, ge=1, le=65535, description="LAN server port")
    lan_peers: str = Field(
        default="",
        description="Static list of the sede's other cajas, host:port separated by commas"
        " (mDNS is used when empty)",
    )
    lan_rank: int | None = Field(
        default=None,
        ge=1,
        description="Place in line to become master (1 first); default: the caja number"
        " (the activation order), pulled with the sede's cajas",
    )
    lan_interface: str | None = Field(
        default=None, description="IP address of the interface mDNS announces and browses on"
    )
    lan_heartbeat_seconds: float = Field(
        default=0.5, gt=0, description="The master's heartbeat to its slaves"
    )
    lan_master_timeout_seconds: float = Field(
        default=2.5, gt=0, description="A master silent this long is taken over"
    )

    # Signed updates (issue 19, docs/updates.md). Off unless the caja runs from an install
    # root (the launcher sets STOCKY_EDGE_INSTALL_ROOT) and an update URL is set.
    install_root: Path | None = Field(
        default=None, description="The two-slot install this caja runs from (set by the launcher)"
    )
    update_url: str | None = Field(
        default=None, description="Base URL of the update repository (the cloud's /updates)"
    )
    update_channel: Literal["stable", "beta"] = Field(
        default="stable", description="Update channel: stable or beta"
    )
    update_check_hours: float = Field(
        default=4.0, gt=0, description="Check for an update at start and this often"
    )
    update_timeout_seconds: float = Field(
        default=20.0, gt=0, description="An update server silent this long counts as down"
    )
    update_health_seconds: float = Field(
        default=90.0,
        gt=0,
        description="A new version's first start must pass its health check within this",
    )

    @field_validator("lan_peers")
    @classmethod
    def _peers_parse(cls, value: str) -> str:
        parse_peers(value)
        return value

    @property
    def lan_static_peers(self) -> list[tuple[str, int]]:
        return parse_peers(self.lan_peers)

    @property
    def store_path(self) -> Path:
        return store_path(self.data_dir)

    def cloud_timeouts(self) -> CloudTimeouts:
        return CloudTimeouts(
            connect=self.connect_timeout_seconds,
            ping=self.ping_timeout_seconds,
            push=self.push_timeout_seconds,
            pull=self.pull_timeout_seconds,
        )


@dataclass(frozen=True)
class CloudTimeouts:
    """Seconds to wait for the cloud, per kind of call (see EdgeSettings)."""

    connect: float = 2.0
    ping: float = 2.0
    push: float = 5.0
    pull: float = 15.0
