"""The demo's story, step by step: cloud, tenant, cajas, sales, an outage, convergence."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from stocky.demo.cajas import Caja, activate_caja, route_through
from stocky.demo.catalog import DemoProduct
from stocky.demo.processes import Children, free_port, stocky_command, wait_http
from stocky.demo.proxy import TcpProxy
from stocky.demo.report import SedeReport, report_table, sede_report
from stocky.demo.seed import DemoTenant, owner_headers, seed_tenant

CLOUD_START_TIMEOUT_S = 120.0
CONVERGE_TIMEOUT_S = 90.0
METHODS = ("cash", "cash", "card", "transfer")


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    sales: int
    offline_seconds: float
    pause: float
    exit_at_end: bool
    port: int | None


class Demo:
    def __init__(self, options: DemoOptions, console: Console, children: Children) -> None:
        self.options = options
        self.console = console
        self.children = children
        self.logs = options.data_dir / "logs"
        self.cloud_url = ""
        self.cajas: list[Caja] = []
        self.rng = random.Random(2024)
        self.converged: bool | None = None  # the verdict, once the table is out

    async def start_cloud(self) -> None:
        port = self.options.port or free_port()
        self.cloud_url = f"http://127.0.0.1:{port}"
        log = self.logs / "cloud.log"
        args = stocky_command(
            "cloud",
            "serve",
            "--data-dir",
            str(self.options.data_dir / "cloud"),
            "--port",
            str(port),
        )
        proc = self.children.start("the cloud", args, log=log)
        with self.console.status("Starting the cloud (embedded PostgreSQL and Redis, migrations)"):
            await wait_http(
                f"{self.cloud_url}/health",
                proc,
                name="the cloud",
                timeout=CLOUD_START_TIMEOUT_S,
                log=log,
            )
        self.console.print(f"[green]✓[/] Cloud running at [bold]{self.cloud_url}[/]")

    async def seed(self) -> DemoTenant:
        with self.console.status("Creating the demo business, its catalog and opening stock"):
            async with httpx.AsyncClient(base_url=self.cloud_url, timeout=60) as cloud:
                tenant = await seed_tenant(cloud)
        names = ", ".join(s.name for s in tenant.sedes)
        self.console.print(
            f"[green]✓[/] Tenant with {len(tenant.sedes)} sedes ({names}), "
            f"{len(tenant.products)} products, opening stock at every sede"
        )
        return tenant

    async def start_cajas(self, tenant: DemoTenant) -> None:
        cloud_port = int(self.cloud_url.rsplit(":", 1)[1])
        for sede in tenant.sedes:
            short = sede.name.removeprefix("Sede ").lower()
            proxy = TcpProxy(free_port(), "127.0.0.1", cloud_port)
            await proxy.reconnect()
            self.cajas.append(
                Caja(
                    name=f"Caja {sede.name.removeprefix('Sede ')}",
                    sede_name=sede.name,
                    sede_id=sede.id,
                    data_dir=self.options.data_dir / f"caja-{short}",
                    port=free_port(),
                    proxy=proxy,
                    log=self.logs / f"caja-{short}.log",
                )
            )
        with self.console.status("Activating the cajas (stocky edge activate)"):
            # Activation runs as a child command; threads keep this loop (the proxies) going.
            await asyncio.gather(
                *(
                    asyncio.to_thread(
                        activate_caja, c.proxy.url, s.activation_code, c.data_dir, c.name, c.log
                    )
                    for c, s in zip(self.cajas, tenant.sedes, strict=True)
                )
            )
            for caja in self.cajas:
                await asyncio.to_thread(route_through, caja.data_dir, caja.proxy)
        with self.console.status("Starting the cajas (stocky edge run, one process each)"):
            await asyncio.gather(*(c.start(self.children) for c in self.cajas))
        for caja, sede in zip(self.cajas, tenant.sedes, strict=True):
            await caja.login(sede.cashier_email, tenant.cashier_password)
            await caja.open_shift(Decimal("200000.00"))
            self.console.print(
                f"[green]✓[/] {caja.name} ({caja.sede_name}) activated, running on "
                f"http://127.0.0.1:{caja.port} (pid {caja.proc.pid if caja.proc else '?'}), "
                "cashier signed in, shift open"
            )

    def _basket(self, products: list[DemoProduct]) -> list[tuple[DemoProduct, Decimal]]:
        picked = self.rng.sample(products, self.rng.randint(1, 5))
        return [(p, Decimal(self.rng.randint(1, 3))) for p in picked]

    async def _describe(self, progress: Progress, task: TaskID, stop: asyncio.Event) -> None:
        while not stop.is_set():
            parts = []
            for caja in self.cajas:
                status = await caja.status()
                state = "[green]online[/]" if status["online"] else "[bold red]offline[/]"
                short = caja.name.removeprefix("Caja ")
                parts.append(f"{short} {state} {status['pending_ops']} pending")
            progress.update(task, status=" | ".join(parts))
            await asyncio.sleep(0.3)

    async def sell(self, tenant: DemoTenant) -> None:
        """Ring up sales on both cajas; the second one loses the cloud for a while."""
        total = self.options.sales
        cut_at, back_at = int(total * 0.35), int(total * 0.8)
        victim = self.cajas[-1]
        done = 0
        cut_since = 0.0
        columns = (
            TextColumn("[bold]Sales[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
        )
        with Progress(*columns, console=self.console) as progress:
            task = progress.add_task("sales", total=total, status="")
            stop = asyncio.Event()
            watcher = asyncio.create_task(self._describe(progress, task, stop))
            try:
                while done < total:
                    if done == cut_at and victim.proxy.connected:
                        await victim.proxy.cut()
                        cut_since = time.monotonic()
                        progress.console.print(
                            f"[bold red]✂[/] {victim.name} is cut off from the cloud: it keeps "
                            "selling, its operations wait in its outbox"
                        )
                    if done == back_at and not victim.proxy.connected:
                        # Stay offline long enough for the caja to notice and show it.
                        left = self.options.offline_seconds - (time.monotonic() - cut_since)
                        if left > 0:
                            await asyncio.sleep(left)
                        await victim.proxy.reconnect()
                        progress.console.print(f"[bold green]⚡[/] {victim.name} reconnected")
                    caja = self.cajas[done % len(self.cajas)]
                    await caja.sell(self._basket(tenant.products), self.rng.choice(METHODS))
                    done += 1
                    progress.advance(task)
                    if self.options.pause:
                        await asyncio.sleep(self.options.pause)
                if not victim.proxy.connected:
                    await victim.proxy.reconnect()
            finally:
                stop.set()
                await watcher

    async def converge(self) -> list[SedeReport]:
        """Close both shifts (each flushes its outbox) and wait until caja and cloud agree."""
        for caja in self.cajas:
            await caja.close_shift()
        deadline = time.monotonic() + CONVERGE_TIMEOUT_S
        async with httpx.AsyncClient(base_url=self.cloud_url, timeout=30) as cloud:
            headers = await owner_headers(cloud)
            with self.console.status("Waiting until every caja and the cloud agree"):
                while True:
                    reports = [await sede_report(c, cloud, headers) for c in self.cajas]
                    if all(not r.problems() for r in reports) or time.monotonic() > deadline:
                        return reports
                    await asyncio.sleep(0.5)

    async def run(self) -> None:
        await self.start_cloud()
        tenant = await self.seed()
        await self.start_cajas(tenant)
        started = time.monotonic()
        await self.sell(tenant)
        reports = await self.converge()
        self.console.print(report_table(reports))
        problems = [p for r in reports for p in r.problems()]
        self.converged = not problems
        for problem in problems:
            self.console.print(f"[bold red]✗ {problem}[/]")
        if not problems:
            self.console.print(
                f"[bold green]✓ Every sale is in the cloud exactly once and stock is equal at "
                f"every caja and in the cloud[/] ({time.monotonic() - started:.1f} s of selling "
                "and syncing)"
            )
        await self._check_screens()
        self._print_access(tenant)
        if not self.options.exit_at_end:
            self.console.print("The cloud and the cajas keep running. [bold]Ctrl-C[/] to stop.")
            while True:
                self.children.check_alive()
                await asyncio.sleep(1)

    async def _check_screens(self) -> None:
        """The admin and each caja's screen answer in a browser before their URLs are printed."""
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
            admin = await http.get(f"{self.cloud_url}/admin/login")
            if admin.status_code != 200:
                raise RuntimeError(
                    f"the web admin {self.cloud_url}/admin/ answered HTTP {admin.status_code}"
                )
            for caja in self.cajas:
                response = await http.get(caja.screen_url)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"{caja.name}: its screen {caja.screen_url} answered"
                        f" HTTP {response.status_code}; see {caja.log}"
                    )

    def _print_access(self, tenant: DemoTenant) -> None:
        self.console.print(
            f"Web admin: [bold]{self.cloud_url}/admin/[/] (owner [bold]{tenant.owner_email}[/]"
            f" / [bold]{tenant.owner_password}[/])"
        )
        self.console.print(f"Cloud API: [bold]{self.cloud_url}[/] (docs: {self.cloud_url}/docs)")
        self.console.print(
            f"Demo owner login: [bold]{tenant.owner_email}[/] / [bold]{tenant.owner_password}[/]"
        )
        self.console.print(
            "Caja screens (open in a browser; the owner's login works at every caja):"
        )
        for caja, sede in zip(self.cajas, tenant.sedes, strict=True):
            self.console.print(
                f"  {caja.name} ({sede.name}): [bold]{caja.screen_url}[/] (cashier "
                f"[bold]{sede.cashier_email}[/] / [bold]{tenant.cashier_password}[/])"
            )
        self.console.print(f"Logs: {self.logs}")

    async def aclose(self) -> None:
        for caja in self.cajas:
            await caja.proxy.cut()
            await caja.aclose()
