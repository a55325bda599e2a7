"""What SQLCipher costs a caja: a durable sale's commit and a product search, plain vs encrypted.

    python -m bench.edge_cipher [--sales 300] [--searches 300] [--products 5000]

On fresh files in a temporary folder, the same seeded store twice: plain SQLite, and
SQLCipher (a raw 256-bit key, SQLCipher 4 settings, the device-secret key source). Each:
- sale: a 5-line cash sale through `record_sale` in `Store.write` (durable, synchronous=FULL);
- search: `search_products` for a name prefix (FTS5) on a read-only connection;
- open: Store.open of the existing file (the key derivation and the first keyed read).
Prints p50 and p99 per operation and the encrypted/plain ratio of the p50s (the figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench.caja_sales import lines_for, seed, timed
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store, search_products, utc_now
from stocky.edge.store.cipher import ENCRYPT_NEW_ENV, KEYRING_ENV


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_mode(
    folder: Path, *, encrypted: bool, sales: int, searches: int, products: int
) -> dict[str, list[float]]:
    if encrypted:
        os.environ[ENCRYPT_NEW_ENV] = "1"
    else:
        os.environ.pop(ENCRYPT_NEW_ENV, None)
    path = folder / ("encrypted" if encrypted else "plain") / "caja.db"
    with Store.open(path) as store:
        user, ids = seed(store, products)

        def sale(i: int) -> None:
            cmd = SaleCreate.model_validate(
                {
                    "lines": [{"product_id": p, "quantity": "1"} for p in lines_for(i, ids)],
                    "payments": [{"method": "cash", "amount": "100"}],
                }
            )
            store.write(lambda c: record_sale(c, cmd, user_id=user, now=utc_now()))

        def search(i: int) -> None:
            store.read(lambda c: search_products(c, f"Producto {i % 97}"))

        out = {"sale": timed(sales, sale), "search": timed(searches, search)}
    os.environ.pop(ENCRYPT_NEW_ENV, None)

    def reopen(_i: int) -> None:
        with Store.open(path) as again:
            again.read(lambda c: c.execute("SELECT count(*) FROM products").fetchone())

    out["open"] = timed(10, reopen)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--products", type=int, default=5000)
    args = parser.parse_args()
    os.environ[KEYRING_ENV] = "off"  # a bench never writes into the OS keyring
    with tempfile.TemporaryDirectory(prefix="bench-cipher-") as tmp:
        folder = Path(tmp)
        kwargs = {"sales": args.sales, "searches": args.searches, "products": args.products}
        plain = run_mode(folder, encrypted=False, **kwargs)
        encrypted = run_mode(folder, encrypted=True, **kwargs)
    print(
        f"{'operation':<8} {'plain p50':>11} {'p99':>9} {'cipher p50':>11} {'p99':>9} {'ratio':>6}"
    )
    for op in ("sale", "search", "open"):
        p, e = plain[op], encrypted[op]
        ratio = statistics.median(e) / statistics.median(p)
        print(
            f"{op:<8} {statistics.median(p) * 1e3:>9.2f}ms {_pct(p, 0.99) * 1e3:>7.2f}ms"
            f" {statistics.median(e) * 1e3:>9.2f}ms {_pct(e, 0.99) * 1e3:>7.2f}ms {ratio:>5.2f}x"
        )


if __name__ == "__main__":
    main()
