"""A live cloud with one sede, a cashier and a product: what a caja activates against."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fixtures.cloud_admin import CloudAdmin


@dataclass
class Cloud:
    url: str
    admin: CloudAdmin
    sede: str
    cashier_email: str

    def code(self) -> str:
        return self.admin.activation_code(self.sede)


@pytest.fixture
def cloud(live_cloud: str) -> Cloud:
    admin = CloudAdmin.signup(live_cloud)
    sede = admin.sede("Centro")
    admin.user("cajera@example.com", "Cajera", "cashier", sede)
    admin.product(
        sku="ARROZ-1",
        name="Arroz 1 kg",
        barcode="7701234567890",
        barcodes=["7709999999999"],
        price="4500.50",
        cost="3000",
        tax_rate="0.19",
    )
    admin.opening(sede, {"ARROZ-1": "12"})
    return Cloud(live_cloud, admin, sede, "cajera@example.com")
