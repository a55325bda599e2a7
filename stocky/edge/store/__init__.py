"""The caja's local SQLite store: schema, migrations, the single writer, and lookups."""

from stocky.edge.store.connection import BUSY_TIMEOUT_MS, connect_reader, connect_writer
from stocky.edge.store.migrations import MigrationError, migrate, schema_version
from stocky.edge.store.schema import MIGRATIONS
from stocky.edge.store.search import (
    fts_query,
    product_by_barcode,
    rebuild_product_search,
    search_products,
)
from stocky.edge.store.store import Store, StoreClosedError, StoreError
from stocky.edge.store.timestamps import from_iso, to_iso, utc_now

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "MigrationError",
    "Store",
    "StoreClosedError",
    "StoreError",
    "connect_reader",
    "connect_writer",
    "from_iso",
    "fts_query",
    "migrate",
    "product_by_barcode",
    "rebuild_product_search",
    "schema_version",
    "search_products",
    "to_iso",
    "utc_now",
]
