"""SIGKILL while sales are being recorded: every confirmed sale survives, whole; none is half."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stocky.edge.store import connect_reader
from tests.edge.factories import create_activated_store

ROOT = Path(__file__).resolve().parents[3]


def wait_for_sales(proc: subprocess.Popen[bytes], at_least: int, timeout: float) -> bytes:
    """What the worker printed once it confirmed `at_least` sales (whole lines)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[bytes] = []
    while len(seen) < at_least:
        assert time.monotonic() < deadline, "the worker confirmed too few sales"
        line = proc.stdout.readline()
        assert line, "the worker exited early"
        seen.append(line)
    return b"".join(seen)


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_sigkill_loses_no_confirmed_sale(tmp_path: Path, attempt: int) -> None:
    caja = create_activated_store(tmp_path, products=5)
    path = caja.store.path
    caja.store.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.edge.pos.crash_worker", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        early = wait_for_sales(proc, at_least=20, timeout=60)
        time.sleep(random.uniform(0, 0.2))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Every line before the kill is a confirmed sale (a torn last line is not confirmed).
    text = (early + out).decode()
    confirmed = [line for line in text.split("\n")[:-1] if line]

    conn = connect_reader(path)  # keyed when the suite runs encrypted
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for sale_id in confirmed:
            assert conn.execute("SELECT 1 FROM sales WHERE id = ?", (sale_id,)).fetchone()
        sales = conn.execute(
            """
            SELECT s.id,
                   (SELECT count(*) FROM transactions WHERE sale_id = s.id AND type = 'sale'),
                   (SELECT count(*) FROM sale_payments WHERE sale_id = s.id),
                   (SELECT count(*) FROM sync_queue WHERE entity_id = s.id),
                   (SELECT count(*) FROM audit_logs WHERE entity_id = s.id)
            FROM sales AS s
            """
        ).fetchall()
        assert len(sales) >= len(confirmed) >= 20
        for _, movements, payments, ops, audits in sales:
            assert (movements, payments, ops, audits) == (5, 1, 1, 1)
        orphan_ops = conn.execute(
            "SELECT count(*) FROM sync_queue WHERE entity_id NOT IN (SELECT id FROM sales)"
        ).fetchone()[0]
        assert orphan_ops == 0
        shown = conn.execute("SELECT sum(quantity_milli) FROM inventory").fetchone()[0]
        moved = conn.execute("SELECT sum(quantity_milli) FROM transactions").fetchone()[0]
        assert shown == 5 * 10_000 + moved
    finally:
        conn.close()
