"""A tenant seeded through a live cloud's HTTP API, with activated cajas on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stocky.edge.activation.service import activate
from stocky.edge.config import store_path
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store, utc_now
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin

__all__ = ["PASSWORD", "Shop", "open_store", "seed_shop", "sell"]


@dataclass
class Shop:
    url: str
    sede: str
    product: str
    cashier: str
    owner: dict[str, str]
    data_dirs: list[Path] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.data_dirs[0]


def seed_shop(url: str, *data_dirs: Path) -> Shop:
    """Signup, one sede, a cashier, one product; each data dir activated as a caja."""
    admin = CloudAdmin.signup(url)
    sede = admin.sede("Centro")
    cashier = admin.user("caja@example.com", "Cajera", "cashier", sede)
    product = admin.product(sku="ARZ", name="Arroz 1 kg", price="4500.00")
    for n, data_dir in enumerate(data_dirs, start=1):
        code = admin.activation_code(sede)
        activate(cloud_url=url, code=code, data_dir=data_dir, device_name=f"Caja {n}")
    return Shop(url, sede, product, cashier, admin.headers, list(data_dirs))


def sell(store: Store, shop: Shop, quantity: str = "1") -> str:
    cmd = SaleCreate.model_validate(
        {
            "lines": [{"product_id": shop.product, "quantity": quantity}],
            "payments": [{"method": "cash", "amount": "999999"}],
        }
    )
    return store.write(lambda c: record_sale(c, cmd, user_id=shop.cashier, now=utc_now())).id


def open_store(data_dir: Path) -> Store:
    return Store.open(store_path(data_dir))
