"""`stocky demo --exit` end to end: real processes, embedded services, an outage, a LAN
failover, a verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO_TIMEOUT_S = 240


def test_demo_converges_and_exits_zero(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stocky",
            "demo",
            "--exit",
            "--sales",
            "40",
            "--data-dir",
            str(data_dir),
            "--offline-seconds",
            "3",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    rows = [line for line in output.splitlines() if line.startswith("│ Sede")]
    assert len(rows) == 2, output
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        _sede, sales_caja, sales_cloud, stock_caja, stock_cloud, pending, verdict = cells
        assert sales_caja == sales_cloud, row
        assert stock_caja == stock_cloud, row
        assert pending == "0", row
        assert verdict == "equal", row
    # The 40 sales rung up, and the two that show Sede Centro's LAN (one at each caja).
    assert sum(int(r.split("│")[2]) for r in rows) == 42
    assert "cut off from the cloud" in output
    assert "reconnected" in output
    assert "completed by the job" in output, output  # the transfer between the sedes
    # Each caja's screen URL (checked to answer before it is printed), not its API's.
    assert output.count("/login (cashier") == 3, output
    # Sede Centro's two cajas: one main over the LAN, killed, replaced, back as secondary.
    said = " ".join(output.split())  # Rich wraps long lines at the terminal's width
    assert "is the main caja" in said, output
    assert "over the LAN, not the cloud" in said, output
    assert "took over in" in said, output
    assert "is back: it follows" in said, output
    assert "/local/api" not in output, output
    # Nothing left running in the demo's folder (the cajas, the cloud, its PostgreSQL).
    assert not (data_dir / "cloud" / "postgres" / "postmaster.pid").exists(), output


def test_refuses_to_wipe_a_folder_it_did_not_create(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "STOCKY_DATA_DIR": str(tmp_path)}
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("precious")
    for args in (["--data-dir", str(mine)], []):  # [] : $STOCKY_DATA_DIR/demo
        done = subprocess.run(
            [sys.executable, "-m", "stocky", "demo", "--exit", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "not created by" in done.stdout + done.stderr
    assert (mine / "keep.txt").read_text() == "precious"
    assert (tmp_path / "demo" / "keep.txt").read_text() == "precious"
