"""The caja's updater inside its process: check at start and every few hours, report the
status, restart into a staged version at a safe moment, run the first start's health check
and roll back when it fails, and tell the cloud how each update went.

Restarting means exiting with RESTART_EXIT after the pointer moved: the launcher (see
launcher.py) starts whatever the pointer names. A network check never runs on the event
loop: check_and_stage runs on a thread, bounded by the socket timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import weakref
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import httpx

from stocky.core.sync import PingIn
from stocky.edge.config import EdgeSettings
from stocky.edge.store.migrations import schema_version
from stocky.edge.store.schema import MIGRATIONS
from stocky.edge.sync.client import CloudUnavailableError
from stocky.edge.tls import httpx_verify
from stocky.edge.updates.client import CheckResult, check_and_stage
from stocky.edge.updates.slots import Install, SlotError, other

if TYPE_CHECKING:
    from stocky.edge.runtime import CajaRuntime

log = logging.getLogger(__name__)

# EX_TEMPFAIL: "run me again"; the launcher starts the slot the pointer names.
RESTART_EXIT: Final = 75
KEEP_SNAPSHOTS: Final = 5


class SaleInProgressError(RuntimeError):
    """A restart asked for while a sale is being rung up or paid."""


class Busy(Protocol):
    def busy(self) -> bool: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class LastCheck:
    outcome: str
    message: str
    at: str


class HealthCheckError(RuntimeError):
    """The new version failed its first start's check; the message says which part."""


def _device(store_path: Path) -> tuple[str, str]:
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT cloud_url, device_credential FROM sede_info WHERE id = 1"
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        raise RuntimeError("the caja is not activated")
    return str(row[0]), str(row[1])


class UpdateService:
    def __init__(self, runtime: CajaRuntime, install: Install) -> None:
        self.runtime = runtime
        self.settings: EdgeSettings = runtime.settings
        self.install = install
        state = install.load()
        self.slot = install.pointed()
        self.version = install.manifest(self.slot).version
        self.health: str = "pending" if self._pending_here(state.pending) else "ok"
        self.last_check: LastCheck | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._exit = os._exit  # a test may replace how the process ends
        # Each POS tab of this caja registers itself; a restart waits until none has a sale
        # open. Held per service, so a screen of another caja in the same process (tests)
        # never counts.
        self._sale_screens: weakref.WeakSet[Any] = weakref.WeakSet()

    @classmethod
    def for_runtime(cls, runtime: CajaRuntime) -> UpdateService | None:
        root = runtime.settings.install_root
        if root is None or not Install(root).exists():
            return None
        return cls(runtime, Install(root))

    def register_sale_screen(self, screen: Busy) -> None:
        self._sale_screens.add(screen)

    def sale_in_progress(self) -> bool:
        return any(screen.busy() for screen in list(self._sale_screens))

    def _pending_here(self, pending: dict[str, Any] | None) -> bool:
        return bool(pending and pending.get("slot") == self.slot)

    # Lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.health == "pending":
            self._tasks.append(asyncio.create_task(self._health_then_loop()))
        else:
            self._tasks.append(asyncio.create_task(self._loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _health_then_loop(self) -> None:
        try:
            await self.health_check()
        except HealthCheckError as exc:
            await self.roll_back(str(exc))
            return
        await self._loop()

    async def _loop(self) -> None:
        while True:
            await self.report()
            await self.check()
            await asyncio.sleep(self.settings.update_check_hours * 3600)

    # Checking --------------------------------------------------------------------------------

    async def check(self) -> CheckResult | None:
        """One check of the channel; any failure is logged and kept for the status, never
        raised: selling goes on whatever the update server does."""
        url = self.settings.update_url
        if not url:
            return None
        timeout = self.settings.update_timeout_seconds
        try:
            result = await asyncio.to_thread(
                check_and_stage,
                self.install,
                update_url=url,
                channel=self.settings.update_channel,
                timeout_s=timeout,
            )
        except Exception as exc:  # a bug in a check must not stop the caja
            log.exception("update check failed")
            result = CheckResult("failed", f"{type(exc).__name__}: {exc}")
        self.last_check = LastCheck(result.outcome, result.message, _now())
        return result

    def status(self) -> dict[str, Any]:
        state = self.install.load()
        ready = state.ready if state.ready and state.ready.get("slot") != self.slot else None
        return {
            "version": self.version,
            "slot": self.slot,
            "channel": self.settings.update_channel,
            "health": self.health,
            "ready": ready,
            "restart_allowed": ready is not None and not self.sale_in_progress(),
            "last_check": asdict(self.last_check) if self.last_check else None,
            "last_failure": state.last_failure,
        }

    # Restarting ------------------------------------------------------------------------------

    def _snapshot(self) -> Path:
        from stocky.edge.backup.snapshot import take_snapshot

        settings = self.settings
        return take_snapshot(
            settings.store_path,
            settings.data_dir / "backups",
            reason="before-update",
            keep=KEEP_SNAPSHOTS,
        )

    async def restart(self) -> str:
        """Snapshot the store, point at the staged slot, mark its health check pending and
        exit for the launcher to start it. Refused mid-sale and with nothing staged."""
        if self.sale_in_progress():
            raise SaleInProgressError("a sale is in progress: finish or park it first")
        state = self.install.load()
        ready = state.ready
        if not ready or ready.get("slot") == self.slot:
            raise SlotError("no update is ready")
        target = other(self.slot)
        await asyncio.to_thread(self._snapshot)
        engine = self.runtime.engine
        state.pending = {
            "slot": target,
            "version": ready["version"],
            "previous_version": self.version,
            "cloud_online": bool(engine and engine.monitor.online),
            "since": _now(),
        }
        state.previous, state.current, state.ready = self.slot, target, None
        self.install.save(state)
        self.install.point_to(target)
        log.info("restarting into %s (slot %s)", ready["version"], target)
        asyncio.get_running_loop().call_later(0.3, self._schedule_exit)
        return str(ready["version"])

    def _schedule_exit(self) -> None:
        # Later than the answer to the request that asked, so the caller reads it.
        asyncio.get_running_loop().create_task(self._stop_and_exit())

    async def _stop_and_exit(self) -> None:
        with contextlib.suppress(Exception):
            await self.runtime.flush_outbox()
        # The store drains its queued writes as the runtime stops, before the exit.
        await self.runtime.stop()
        self._exit(RESTART_EXIT)

    # The first start's health check ----------------------------------------------------------

    async def health_check(self) -> None:
        """Store opens, migrations applied, local API answers, sync reaches the cloud.

        The cloud part: an error answer fails the check; no answer at all defers it when
        the old version was offline at the restart too (an offline caja keeps a version
        whose local checks pass), and fails it when the old one was online."""
        state = self.install.load()
        pending = state.pending or {}
        store = self.runtime.store
        if store is None:
            raise HealthCheckError("the store did not open")
        try:
            version = await store.aread(schema_version)
        except Exception as exc:  # any failure to read is the verdict
            raise HealthCheckError(f"the store cannot be read: {exc}") from exc
        if version != len(MIGRATIONS):
            raise HealthCheckError(f"schema version {version}, expected {len(MIGRATIONS)}")
        deadline = asyncio.get_running_loop().time() + self.settings.update_health_seconds
        await self._local_api_answers(deadline)
        await self._cloud_answers(deadline, required=bool(pending.get("cloud_online")))
        state = self.install.load()
        state.pending = None
        state.installed.append(
            {
                "version": self.version,
                "previous_version": pending.get("previous_version"),
                "at": _now(),
                "reported": False,
            }
        )
        self.install.save(state)
        self.health = "ok"
        log.info("update %s passed its health check", self.version)

    async def _local_api_answers(self, deadline: float) -> None:
        settings = self.settings
        url = f"http://{settings.host}:{settings.port}/local/api/status"
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=3.0) as http:
            while True:
                try:
                    if (await http.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if loop.time() > deadline:
                    raise HealthCheckError(f"the local API at {url} does not answer")
                await asyncio.sleep(0.5)

    async def _cloud_answers(self, deadline: float, *, required: bool) -> None:
        engine = self.runtime.engine
        if engine is None:
            raise HealthCheckError("the sync engine did not start")
        loop = asyncio.get_running_loop()
        while True:
            try:
                await engine.client.ping(
                    PingIn(client_now=datetime.now(UTC), pending_ops=0, stuck_ops=0)
                )
                return
            except CloudUnavailableError as exc:
                if not required:
                    log.info("health check: cloud unreachable, its part deferred: %s", exc)
                    return
                if loop.time() > deadline:
                    raise HealthCheckError(f"sync does not reach the cloud: {exc}") from exc
            except Exception as exc:  # an error answer is the verdict
                raise HealthCheckError(f"sync is refused by the cloud: {exc}") from exc
            await asyncio.sleep(1.0)

    async def roll_back(self, reason: str) -> None:
        """Point back at the previous slot, record why, and exit for the launcher."""
        log.error("update %s failed its health check: %s", self.version, reason)
        self.health = "failed"
        roll_back_state(self.install, self.slot, self.version, reason)
        await self._stop_and_exit()

    # Reporting -------------------------------------------------------------------------------

    async def report(self) -> None:
        """Send the cloud what it has not heard: installs and the last failure."""
        state = self.install.load()
        items: list[dict[str, Any]] = [
            {**item, "outcome": "installed"} for item in state.installed if not item["reported"]
        ]
        failure = state.last_failure
        if failure and not failure.get("reported"):
            items.append({**failure, "outcome": "rolled_back"})
        if not items:
            return
        try:
            stored_url, credential = await asyncio.to_thread(_device, self.settings.store_path)
            url = (self.settings.cloud_url or stored_url).rstrip("/")
            async with httpx.AsyncClient(
                timeout=5.0,
                headers={"Authorization": f"Bearer {credential}"},
                verify=httpx_verify(self.settings),
            ) as http:
                for item in items:
                    body = {
                        "version": item["version"],
                        "previous_version": item.get("previous_version"),
                        "outcome": item["outcome"],
                        # The cloud keeps 2000 characters of text without NULs.
                        "reason": (item.get("reason") or "").replace("\x00", "")[:2000] or None,
                        "happened_at": item["at"],
                    }
                    response = await http.post(f"{url}/api/devices/me/update-reports", json=body)
                    response.raise_for_status()
                    item["reported"] = True
        except (httpx.HTTPError, RuntimeError, sqlite3.Error) as exc:
            log.info("update report not sent yet: %s", exc)
        state = self.install.load()
        sent = {item["at"] for item in items if item.get("reported")}
        for item in state.installed:
            if item["at"] in sent:
                item["reported"] = True
        if state.last_failure and state.last_failure.get("at") in sent:
            state.last_failure["reported"] = True
        state.installed = [item for item in state.installed if not item["reported"]]
        self.install.save(state)


def roll_back_state(install: Install, slot: str, version: str, reason: str) -> None:
    """The pointer back on the previous slot, the failure recorded to report."""
    state = install.load()
    previous = state.previous or other(install.pointed())
    state.last_failure = {
        "version": version,
        "previous_version": (state.pending or {}).get("previous_version"),
        "reason": reason,
        "at": _now(),
        "reported": False,
    }
    state.pending, state.ready = None, None
    state.current, state.previous = previous, None
    install.save(state)
    install.point_to(previous)
