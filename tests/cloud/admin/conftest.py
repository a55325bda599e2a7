"""The web admin in Chromium, against a real `stocky cloud serve` process.

`cloud_process` (tests/fixtures/cloud_process.py) runs the cloud with the admin mounted on
the test's PostgreSQL and Redis; these fixtures add Debian's Chromium (/usr/bin/chromium,
Playwright cannot download a browser here), a tenant seeded over the API, a sign-in through
the screens and screenshots at the two sizes the admin is made for (1366x768 and a 390 px
phone) into artifacts/screenshots/admin/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin
from tests.fixtures.cloud_process import CloudProcess

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# Playwright's assertions wait 5 s by default, its actions 30 s: on a CI machine busy with a
# cloud, a caja and Chromium at once a redraw can take longer than 5 s without being wrong.
expect.set_options(timeout=20_000)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots" / "admin"
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Wait for CSS transitions (a dialog fading in) so screenshots show the finished screen.
_SETTLE_JS = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null)))"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

__all__ = ["PASSWORD", "PHONE", "WIDE", "expect"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def owner(cloud_process: CloudProcess) -> CloudAdmin:
    """A business signed up over the API (owner@example.com), on the running cloud."""
    return CloudAdmin.signup(cloud_process.url, "Mercado La 14")


@pytest.fixture
def new_page(browser: Any, cloud_process: CloudProcess) -> Iterator[Callable[..., Any]]:
    """`new_page(size=WIDE)`: a fresh browser context (its own cookies) at that size."""
    contexts: list[Any] = []

    def make(size: dict[str, int] = WIDE) -> Any:
        context = browser.new_context(viewport=size, base_url=cloud_process.url)
        context.set_default_timeout(30_000)  # a loaded CI machine, not a slow screen
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, email: str = "owner@example.com", password: str = PASSWORD) -> None:
    """Through the login screen, as a person would; waits for the dashboard."""
    page.goto("/admin/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("page-title")).to_be_visible()


def go(page: Any, path: str) -> None:
    """Open an admin screen by its URL (relative to /admin) and wait for its title."""
    page.goto(f"/admin{path}")
    expect(page.get_by_test_id("page-title")).to_be_visible()


def shot(page: Any, name: str) -> Path:
    """A screenshot of the whole page, named by screen and width, to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(_SETTLE_JS)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Any) -> bool:
    """A phone must not need to scroll sideways to read a page (tables scroll inside)."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )
