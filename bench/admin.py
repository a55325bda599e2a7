"""The web admin's first render at 50,000 products, beside the bare API call it makes.

    python bench/admin.py [--products 50000] [--repeat 10]

A real `stocky cloud serve` process on fresh embedded PostgreSQL and Redis in a temporary
folder; a business with two sedes and --products products (one CSV import), stock at both
sedes. Debian's Chromium (Playwright) signs in once through the screens, then opens each
page --repeat times in a new tab: time to first render is from the navigation's start until
the page's figures (dashboard) or its first table row (catalog) are on screen, so it counts
the HTML, NiceGUI's scripts and websocket, the server-side render and its API calls.
Baseline in the same run: the bare API call behind the page (GET /api/dashboard, GET
/api/products first page) with httpx over the network to the same process.
Target (issue 14): under 1 s each on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.sync import catalog_csv

PASSWORD = "bench password 1"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cloud(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STOCKY_PORT": str(port)}
    for key in ("STOCKY_DATABASE_URL", "STOCKY_APP_DATABASE_URL", "STOCKY_REDIS_URL"):
        env.pop(key, None)  # embedded services in the temporary folder
    log = (data_dir / "cloud.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stocky", "cloud", "serve", "--data-dir", str(data_dir)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the cloud did not start:\n{(data_dir / 'cloud.log').read_text()}")
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the cloud did not answer /health in 120 s")


def seed(url: str, products: int) -> dict[str, str]:
    http = httpx.Client(base_url=url, timeout=600)
    signup = http.post(
        "/api/signup",
        json={"tenant_name": "Bench", "email": "owner@bench.co", "password": PASSWORD},
    )
    signup.raise_for_status()
    headers = {"Authorization": f"Bearer {signup.json()['tokens']['access_token']}"}
    started = time.perf_counter()
    http.post(
        "/api/products/import",
        content=catalog_csv(products),
        headers={**headers, "Content-Type": "text/csv"},
    ).raise_for_status()
    print(f"seed: {products:,} products imported in {time.perf_counter() - started:.1f} s")
    for name in ("Centro", "Norte"):
        sede = http.post("/api/sedes", json={"name": name}, headers=headers)
        sede.raise_for_status()
        lines = [{"sku": f"B{i:07d}", "quantity": str(5 + i % 40)} for i in range(2000)]
        http.post(
            f"/api/inventory/{sede.json()['id']}/opening", json={"lines": lines}, headers=headers
        ).raise_for_status()
    return headers


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="stocky-bench-admin-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_cloud(data_dir, port)
        try:
            headers = seed(url, args.products)
            http = httpx.Client(base_url=url, headers=headers, timeout=60)

            def bare(path: str, **params: Any) -> Callable[[], None]:
                return lambda: http.get(path, params=params).raise_for_status()

            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=url)
                page = context.new_page()
                page.goto("/admin/login")
                page.get_by_test_id("login-email").fill("owner@bench.co")
                page.get_by_test_id("login-password").fill(PASSWORD)
                page.get_by_test_id("login-submit").click()
                page.get_by_test_id("today").wait_for(timeout=30_000)

                def render(path: str, selector: str) -> Callable[[], None]:
                    def go() -> None:
                        tab = context.new_page()
                        tab.goto(path, wait_until="commit")
                        tab.locator(selector).first.wait_for(timeout=30_000)
                        tab.close()

                    return go

                cases = [
                    (
                        "dashboard",
                        render("/admin/", '[data-testid="today"]'),
                        "GET /api/dashboard",
                        bare("/api/dashboard"),
                    ),
                    (
                        "catalog",
                        render("/admin/catalogo", ".q-table tbody tr td"),
                        "GET /api/products",
                        bare("/api/products", limit=50),
                    ),
                ]
                print(f"{args.products:,} products, {args.repeat} runs each (median / worst)")
                for name, page_fn, api_name, api_fn in cases:
                    page_fn()  # warm: the first tab loads NiceGUI's scripts into the cache
                    api_fn()
                    shown, shown_worst = median_ms(page_fn, args.repeat)
                    api, api_worst = median_ms(api_fn, args.repeat)
                    verdict = "under 1 s" if shown < 1000 else "OVER the 1 s target"
                    print(
                        f"{name:<10} first render {shown:7.1f} ms (worst {shown_worst:7.1f})"
                        f"   {api_name} {api:6.1f} ms (worst {api_worst:6.1f})"
                        f"   ratio {shown / api:5.1f}x   {verdict}"
                    )
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
