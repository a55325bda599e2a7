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

from stocky.demo.cajas import Caja, CajaError, activate_caja, route_through
from stocky.demo.catalog import DemoProduct
from stocky.demo.lan import lan_settings, seen_after, wait_roles
from stocky.demo.processes import Children, free_port, stocky_command, wait_http
from stocky.demo.proxy import TcpProxy
from stocky.demo.report import SedeReport, report_table, sede_report
from stocky.demo.seed import DemoSede, DemoTenant, owner_headers, seed_tenant
from stocky.demo.transfer import run_transfer

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
            "--with-worker",  # transfers and presence run as jobs
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
        codes: list[str] = []
        for sede in tenant.sedes:
            short = sede.name.removeprefix("Sede ")
            several = len(sede.activation_codes) > 1
            lan = lan_settings(len(sede.activation_codes)) if several else [{}]
            for n, code in enumerate(sede.activation_codes, start=1):
                name = f"Caja {short} {n}" if several else f"Caja {short}"
                folder = name.removeprefix("Caja ").lower().replace(" ", "-")
                proxy = TcpProxy(free_port(), "127.0.0.1", cloud_port)
                await proxy.reconnect()
                self.cajas.append(
                    Caja(
                        name=name,
                        sede_name=sede.name,
                        sede_id=sede.id,
                        data_dir=self.options.data_dir / f"caja-{folder}",
                        port=free_port(),
                        proxy=proxy,
                        log=self.logs / f"caja-{folder}.log",
                        env=lan[n - 1] if several else {"STOCKY_EDGE_LAN": "off"},
                    )
                )
                codes.append(code)
        with self.console.status("Activating the cajas (stocky edge activate)"):
            # Activation runs as a child command; threads keep this loop (the proxies) going.
            # One after another: a sede's cajas are numbered (and ranked) in that order.
            for caja, code in zip(self.cajas, codes, strict=True):
                await asyncio.to_thread(
                    activate_caja, caja.proxy.url, code, caja.data_dir, caja.name, caja.log
                )
                await asyncio.to_thread(route_through, caja.data_dir, caja.proxy)
        with self.console.status("Starting the cajas (stocky edge run, one process each)"):
            await asyncio.gather(*(c.start(self.children) for c in self.cajas))
        sedes = {s.id: s for s in tenant.sedes}
        for caja in self.cajas:
            await self._sign_in(caja, sedes[caja.sede_id], tenant)
            await caja.open_shift(Decimal("200000.00"))
            self.console.print(
                f"[green]✓[/] {caja.name} ({caja.sede_name}) activated, running on "
                f"http://127.0.0.1:{caja.port} (pid {caja.proc.pid if caja.proc else '?'}), "
                "cashier signed in, shift open"
            )
        await self._show_lan(tenant)

    async def _sign_in(self, caja: Caja, sede: DemoSede, tenant: DemoTenant) -> None:
        await caja.login(sede.cashier_email, tenant.cashier_password)

    def _lan_cajas(self) -> list[Caja]:
        """The cajas of the sede that has several (they sync over the LAN)."""
        first = self.cajas[0].sede_id
        together = [c for c in self.cajas if c.sede_id == first]
        return together if len(together) > 1 else []

    async def _show_lan(self, tenant: DemoTenant) -> None:
        together = self._lan_cajas()
        if not together:
            return
        with self.console.status(f"The cajas of {together[0].sede_name} find each other"):
            master, epoch = await wait_roles(together)
        other = next(c for c in together if c is not master)
        self.console.print(
            f"[green]✓[/] LAN of {master.sede_name}: [bold]{master.name}[/] is the main caja "
            f"(epoch {epoch}), {other.name} follows it over mutual TLS"
        )
        product = tenant.products[0]
        seen = await seen_after(other, master, product)
        back = await seen_after(master, other, product)
        self.console.print(
            f"[green]✓[/] A sale at {other.name} showed at {master.name} in "
            f"{seen * 1000:.0f} ms, and one at {master.name} at {other.name} in "
            f"{back * 1000:.0f} ms (over the LAN, not the cloud)"
        )

    async def _kill_master(self) -> Caja | None:
        """The LAN chapter: the main caja of the first sede dies; the other takes over."""
        together = self._lan_cajas()
        if not together:
            return None
        master, _epoch = await wait_roles(together)
        assert master.proc is not None
        self.children.kill(master.proc)
        master.proc = None
        started = time.monotonic()
        rest = [c for c in together if c is not master]
        successor, new_epoch = await wait_roles(rest)
        self.console.print(
            f"[bold red]✝[/] {master.name} (the main caja) was killed (-9); "
            f"{successor.name} took over in {time.monotonic() - started:.1f} s at epoch "
            f"{new_epoch}, and {master.sede_name} kept selling"
        )
        return master

    async def _bring_back(self, caja: Caja, tenant: DemoTenant) -> None:
        await caja.start(self.children)
        sedes = {s.id: s for s in tenant.sedes}
        await self._sign_in(caja, sedes[caja.sede_id], tenant)
        master, epoch = await wait_roles(self._lan_cajas())
        self.console.print(
            f"[bold green]⚡[/] {caja.name} is back: it follows {master.name} (epoch {epoch}); "
            "what its outbox still held goes through the main caja"
        )

    def _basket(self, products: list[DemoProduct]) -> list[tuple[DemoProduct, Decimal]]:
        picked = self.rng.sample(products, self.rng.randint(1, 5))
        return [(p, Decimal(self.rng.randint(1, 3))) for p in picked]

    async def _describe(self, progress: Progress, task: TaskID, stop: asyncio.Event) -> None:
        while not stop.is_set():
            parts = []
            for caja in self.cajas:
                short = caja.name.removeprefix("Caja ")
                if caja.proc is None:
                    parts.append(f"{short} [bold red]down[/]")
                    continue
                try:
                    status = await caja.status()
                except (httpx.HTTPError, CajaError):
                    parts.append(f"{short} [bold red]down[/]")  # killed, or coming back
                    continue
                state = "[green]online[/]" if status["online"] else "[bold red]offline[/]"
                parts.append(f"{short} {state} {status['pending_ops']} pending")
            progress.update(task, status=" | ".join(parts))
            await asyncio.sleep(0.3)

    async def sell(self, tenant: DemoTenant) -> None:
        """Ring up sales at every caja; the last one loses the cloud for a while, and the
        first sede's main caja dies and comes back."""
        total = self.options.sales
        cut_at, back_at = int(total * 0.35), int(total * 0.8)
        kill_at, revive_at = int(total * 0.5), int(total * 0.7)
        victim = self.cajas[-1]
        dead: Caja | None = None
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
                    if done == kill_at and dead is None:
                        dead = await self._kill_master()
                    if done == revive_at and dead is not None:
                        await self._bring_back(dead, tenant)
                        dead = None
                    if done == back_at and not victim.proxy.connected:
                        # Stay offline long enough for the caja to notice and show it.
                        left = self.options.offline_seconds - (time.monotonic() - cut_since)
                        if left > 0:
                            await asyncio.sleep(left)
                        await victim.proxy.reconnect()
                        progress.console.print(f"[bold green]⚡[/] {victim.name} reconnected")
                    live = [c for c in self.cajas if c is not dead]
                    caja = live[done % len(live)]
                    await caja.sell(self._basket(tenant.products), self.rng.choice(METHODS))
                    done += 1
                    progress.advance(task)
                    if self.options.pause:
                        await asyncio.sleep(self.options.pause)
                if dead is not None:
                    await self._bring_back(dead, tenant)
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
                    reports = [
                        await sede_report(group, cloud, headers) for group in self._by_sede()
                    ]
                    if all(not r.problems() for r in reports) or time.monotonic() > deadline:
                        return reports
                    await asyncio.sleep(0.5)

    def _by_sede(self) -> list[list[Caja]]:
        groups: dict[str, list[Caja]] = {}
        for caja in self.cajas:
            groups.setdefault(caja.sede_id, []).append(caja)
        return list(groups.values())

    async def run(self) -> None:
        await self.start_cloud()
        tenant = await self.seed()
        await self.start_cajas(tenant)
        started = time.monotonic()
        await self.sell(tenant)
        with self.console.status("A transfer of stock between the sedes"):
            line = await run_transfer(self.cloud_url, tenant)
        self.console.print(f"[bold cyan]⇄[/] {line}")
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
        sedes = {s.id: s for s in tenant.sedes}
        for caja in self.cajas:
            sede = sedes[caja.sede_id]
            self.console.print(
                f"  {caja.name} ({sede.name}): [bold]{caja.screen_url}[/] (cashier "
                f"[bold]{sede.cashier_email}[/] / [bold]{tenant.cashier_password}[/])"
            )
        self.console.print(f"Logs: {self.logs}")

    async def aclose(self) -> None:
        for caja in self.cajas:
            await caja.proxy.cut()
            await caja.aclose()
