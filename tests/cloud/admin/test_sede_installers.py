"""The sede page's installer card in Chromium: nothing published, then an installer the CLI
published, downloaded through its link with the checksum the page shows; then in English."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.cloud.admin.conftest import WIDE, expect, go, sign_in
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess

STOCKY = Path(sys.executable).parent / "stocky"


def test_sede_page_links_the_published_installer(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess, tmp_path: Path
) -> None:
    sede = owner.sede("Centro")
    page = new_page(WIDE)
    sign_in(page)
    go(page, f"/sedes/{sede}")
    expect(page.get_by_test_id("codes-card")).to_be_visible()
    expect(page.get_by_test_id("no-installers")).to_have_text(
        "Aún no se ha publicado ningún instalador."
    )

    # Published by the operator's command, into the running cloud's own storage.
    data = b"!<arch>\n" + os.urandom(200_000)
    deb = tmp_path / "stocky-caja_1.4.0_amd64.deb"
    deb.write_bytes(data)
    published = subprocess.run(
        [
            *(str(STOCKY), "cloud", "publish-installer", str(deb)),
            *("--os", "linux", "--version", "1.4.0", "--data-dir", str(tmp_path / "cloud")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert published.returncode == 0, published.stderr
    sha = hashlib.sha256(data).hexdigest()

    page.reload()
    row = page.get_by_test_id("installer-linux")
    expect(row).to_contain_text("Linux · versión 1.4.0")
    expect(row).to_contain_text("stocky-caja_1.4.0_amd64.deb")
    expect(page.get_by_test_id("installer-sha-linux")).to_have_text(f"SHA-256 {sha}")
    link = page.get_by_test_id("installer-link-linux")
    expect(link).to_have_text("Descargar el instalador")
    expect(page.get_by_test_id("installer-windows")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "sede-installers.png"), full_page=True)

    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith(f"{cloud_process.url}/media/installers/linux/1.4.0/")
    got = httpx.get(href, timeout=30)  # signed: no session needed
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == sha

    page.get_by_test_id("language-toggle").click()
    expect(page.get_by_test_id("installer-link-linux")).to_have_text("Download the installer")
    expect(page.get_by_test_id("installer-linux")).to_contain_text("Linux · version 1.4.0")
