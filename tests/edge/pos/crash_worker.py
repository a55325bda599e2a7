"""Records 5-line sales in a loop and prints each confirmed sale id (the crash test kills it).

Usage: python -m tests.edge.pos.crash_worker PATH_TO_DB
"""

from __future__ import annotations

import sqlite3
import sys

from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store, utc_now


def main(path: str) -> None:
    store = Store.open(path)
    products = store.read(
        lambda c: [r[0] for r in c.execute("SELECT id FROM products WHERE unit = 'unit'")]
    )
    user = store.read(lambda c: c.execute("SELECT id FROM users LIMIT 1").fetchone()[0])
    lines = [{"product_id": products[i % len(products)], "quantity": "1"} for i in range(5)]
    cmd = SaleCreate.model_validate(
        {"lines": lines, "payments": [{"method": "cash", "amount": "1000"}]}
    )

    def sale(conn: sqlite3.Connection) -> str:
        return record_sale(conn, cmd, user_id=user, now=utc_now()).id

    while True:
        sale_id = store.write(sale, durable=True)
        # Printed only after COMMIT returned: this is what the API would have confirmed.
        sys.stdout.write(sale_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
