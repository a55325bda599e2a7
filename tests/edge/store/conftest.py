from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stocky.edge.store import Store
from tests.edge.store.factories import open_store

__all__ = ["open_store"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on a fresh file, closed (queue drained) after the test."""
    opened = open_store(tmp_path)
    yield opened
    opened.close()
