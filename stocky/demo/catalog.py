"""A demo catalog: a few hundred Colombian grocery and hardware products, always the same.

Generated from short lists (item, brands, sizes, a base price) so the demo needs no download
and two runs sell the same products. Barcodes are valid EAN-13 under Colombia's 770 prefix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from stocky.cloud.kit.csv_text import escape_cell

IVA = Decimal("0.19")
REDUCED = Decimal("0.05")
EXEMPT = Decimal("0")
CENTS = Decimal("0.01")
PACKED = frozenset({"Bebidas", "Lácteos", "Snacks", "Aseo", "Abarrotes"})


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    barcode: str
    price: Decimal
    cost: Decimal
    tax_rate: Decimal


# (category, item, brands, sizes with a price factor, base price in COP, tax rate)
_LINES: tuple[tuple[str, str, tuple[str, ...], tuple[tuple[str, str], ...], int, Decimal], ...] = (
    (
        "Granos",
        "Arroz",
        ("Diana", "Roa", "Florhuila"),
        (("500 g", "1"), ("1 kg", "1.9"), ("5 kg", "8.8")),
        2600,
        EXEMPT,
    ),
    (
        "Granos",
        "Frijol cargamanto",
        ("Diana", "La Muñeca"),
        (("500 g", "1"), ("1 kg", "1.9")),
        6900,
        EXEMPT,
    ),
    ("Granos", "Lenteja", ("Diana", "La Muñeca"), (("500 g", "1"), ("1 kg", "1.9")), 3900, EXEMPT),
    (
        "Abarrotes",
        "Aceite de girasol",
        ("Premier", "Gourmet", "Oleocali"),
        (("500 ml", "1"), ("1 L", "1.9"), ("3 L", "5.4")),
        7900,
        IVA,
    ),
    (
        "Abarrotes",
        "Azúcar",
        ("Manuelita", "Incauca", "Riopaila"),
        (("500 g", "1"), ("1 kg", "1.9"), ("2.5 kg", "4.6")),
        2400,
        REDUCED,
    ),
    ("Abarrotes", "Sal refinada", ("Refisal",), (("500 g", "1"), ("1 kg", "1.8")), 1400, EXEMPT),
    (
        "Abarrotes",
        "Pasta spaghetti",
        ("Doria", "La Muñeca", "Monticello"),
        (("250 g", "1"), ("500 g", "1.9"), ("1 kg", "3.6")),
        1900,
        REDUCED,
    ),
    (
        "Abarrotes",
        "Harina de maíz",
        ("P.A.N.", "Areparina"),
        (("500 g", "1"), ("1 kg", "1.9")),
        2300,
        REDUCED,
    ),
    (
        "Abarrotes",
        "Panela",
        ("Doña Panela", "La Central"),
        (("500 g", "1"), ("1 kg", "1.9")),
        2500,
        EXEMPT,
    ),
    (
        "Abarrotes",
        "Atún en agua",
        ("Van Camp's", "Isabel"),
        (("160 g", "1"), ("3 x 160 g", "2.8")),
        5200,
        IVA,
    ),
    (
        "Abarrotes",
        "Salsa de tomate",
        ("Fruco", "San Jorge"),
        (("200 g", "1"), ("400 g", "1.8"), ("1 kg", "3.9")),
        3200,
        IVA,
    ),
    (
        "Abarrotes",
        "Mayonesa",
        ("Fruco", "Hellmann's"),
        (("200 g", "1"), ("400 g", "1.8")),
        4100,
        IVA,
    ),
    (
        "Bebidas",
        "Café molido",
        ("Sello Rojo", "Juan Valdez", "Águila Roja"),
        (("250 g", "1"), ("500 g", "1.9")),
        9800,
        REDUCED,
    ),
    (
        "Bebidas",
        "Chocolate de mesa",
        ("Corona", "Luker"),
        (("250 g", "1"), ("500 g", "1.9")),
        6200,
        REDUCED,
    ),
    (
        "Bebidas",
        "Gaseosa",
        ("Postobón", "Coca-Cola", "Colombiana"),
        (("400 ml", "1"), ("1.5 L", "2.1"), ("3 L", "3.4")),
        2500,
        IVA,
    ),
    (
        "Bebidas",
        "Agua sin gas",
        ("Cristal", "Brisa"),
        (("600 ml", "1"), ("1.5 L", "1.6"), ("6 L", "3.5")),
        1800,
        IVA,
    ),
    (
        "Bebidas",
        "Jugo de naranja",
        ("Hit", "Del Valle"),
        (("500 ml", "1"), ("1 L", "1.8")),
        2700,
        IVA,
    ),
    (
        "Bebidas",
        "Cerveza",
        ("Águila", "Poker", "Club Colombia"),
        (("330 ml", "1"), ("six pack", "5.6")),
        3200,
        IVA,
    ),
    (
        "Lácteos",
        "Leche entera",
        ("Alpina", "Colanta", "Alquería"),
        (("1 L", "1"), ("bolsa 1.1 L", "1.05"), ("six pack", "5.7")),
        4300,
        EXEMPT,
    ),
    (
        "Lácteos",
        "Queso campesino",
        ("Colanta", "Alpina"),
        (("250 g", "1"), ("500 g", "1.9")),
        6900,
        EXEMPT,
    ),
    (
        "Lácteos",
        "Yogur con fruta",
        ("Alpina", "Colanta"),
        (("150 g", "1"), ("1 L", "4.2")),
        2300,
        IVA,
    ),
    (
        "Lácteos",
        "Mantequilla",
        ("Colanta", "Alpina"),
        (("125 g", "1"), ("250 g", "1.9")),
        5400,
        IVA,
    ),
    (
        "Aseo",
        "Jabón de barra",
        ("Rey", "Top Terra"),
        (("300 g", "1"), ("3 x 300 g", "2.7")),
        2900,
        IVA,
    ),
    (
        "Aseo",
        "Detergente en polvo",
        ("Fab", "Ariel", "Dersa"),
        (("500 g", "1"), ("1 kg", "1.9"), ("3 kg", "5.2")),
        6300,
        IVA,
    ),
    (
        "Aseo",
        "Papel higiénico",
        ("Familia", "Scott", "Elite"),
        (("4 rollos", "1"), ("12 rollos", "2.8")),
        6800,
        IVA,
    ),
    (
        "Aseo",
        "Crema dental",
        ("Colgate", "Fortident"),
        (("75 ml", "1"), ("3 x 75 ml", "2.6")),
        4500,
        IVA,
    ),
    ("Aseo", "Límpido", ("Clorox", "JGB"), (("1 L", "1"), ("2 L", "1.8")), 4200, IVA),
    (
        "Aseo",
        "Lavaloza en crema",
        ("Axion", "Lozacrem"),
        (("450 g", "1"), ("900 g", "1.8")),
        5600,
        IVA,
    ),
    (
        "Snacks",
        "Papas fritas",
        ("Margarita", "Super Ricas"),
        (("30 g", "1"), ("115 g", "3.1")),
        1800,
        IVA,
    ),
    (
        "Snacks",
        "Galletas saltinas",
        ("Noel", "Festival"),
        (("3 tacos", "1"), ("5 tacos", "1.6")),
        3500,
        IVA,
    ),
    ("Snacks", "Chocolatina", ("Jet", "Jumbo"), (("12 g", "1"), ("40 g", "2.6")), 1000, IVA),
    (
        "Ferretería",
        "Tornillo drywall",
        ("Fixser", "Truper"),
        (("6 x 1 pulg (100 u)", "1"), ("6 x 2 pulg (100 u)", "1.4")),
        8900,
        IVA,
    ),
    (
        "Ferretería",
        "Puntilla con cabeza",
        ("Gerfor", "Truper"),
        (("1 pulg (500 g)", "1"), ("2 pulg (500 g)", "1.1"), ("3 pulg (500 g)", "1.2")),
        5200,
        IVA,
    ),
    ("Ferretería", "Cinta aislante", ("3M", "Tesa"), (("10 m", "1"), ("20 m", "1.7")), 3900, IVA),
    (
        "Ferretería",
        "Bombillo LED",
        ("Philips", "Sylvania"),
        (("9 W", "1"), ("12 W", "1.3"), ("18 W", "1.9")),
        7500,
        IVA,
    ),
    (
        "Ferretería",
        "Pintura vinilo blanco",
        ("Pintuco", "Sherwin-Williams"),
        (("1/4 galón", "1"), ("1 galón", "3.4")),
        24900,
        IVA,
    ),
    (
        "Ferretería",
        "Brocha",
        ("Goya", "Truper"),
        (("1 pulg", "1"), ("2 pulg", "1.5"), ("3 pulg", "2.1")),
        3500,
        IVA,
    ),
    (
        "Ferretería",
        "Pegante PVC",
        ("Pavco", "Gerfor"),
        (("1/32 galón", "1"), ("1/4 galón", "4.8")),
        9800,
        IVA,
    ),
    (
        "Ferretería",
        "Candado",
        ("Yale", "Truper"),
        (("30 mm", "1"), ("40 mm", "1.5"), ("50 mm", "2.2")),
        14900,
        IVA,
    ),
    (
        "Ferretería",
        "Cemento gris",
        ("Argos", "Cemex"),
        (("25 kg", "1"), ("50 kg", "1.9")),
        18900,
        IVA,
    ),
)


def _ean13(body12: str) -> str:
    odd = sum(int(d) for d in body12[0::2])
    even = sum(int(d) for d in body12[1::2])
    return body12 + str((10 - (odd + 3 * even) % 10) % 10)


def _cop(value: Decimal) -> Decimal:
    """Shelf prices in pesos end in 00 (nobody hands out 37 pesos of change)."""
    return ((value / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 100).quantize(CENTS)


def demo_catalog() -> list[DemoProduct]:
    """Every product of the demo, in a stable order (about 300)."""
    products: list[DemoProduct] = []
    for category, item, brands, sizes, base, tax in _LINES:
        for b, brand in enumerate(brands):
            for size, factor in sizes:
                n = len(products) + 1
                # A brand's premium or discount over the base, the same every run.
                price = _cop(Decimal(base) * Decimal(factor) * (Decimal("1") + Decimal(b) / 12))
                products.append(
                    DemoProduct(
                        sku=f"DEMO-{n:04d}",
                        name=f"{item} {brand} {size}",
                        category=category,
                        barcode=_ean13(f"770{n:09d}"),
                        price=price,
                        cost=(price * Decimal("0.72")).quantize(CENTS),
                        tax_rate=tax,
                    )
                )
    # Shops also sell the small sizes of everyday goods by the pack (paca).
    for single in [p for p in products if p.category in PACKED and p.price < 10_000]:
        n = len(products) + 1
        products.append(
            DemoProduct(
                sku=f"DEMO-{n:04d}",
                name=f"{single.name} (paca x 6)",
                category=single.category,
                barcode=_ean13(f"770{n:09d}"),
                price=_cop(single.price * Decimal("5.6")),
                cost=(single.price * Decimal("5.6") * Decimal("0.72")).quantize(CENTS),
                tax_rate=single.tax_rate,
            )
        )
    return products


def catalog_csv(products: list[DemoProduct]) -> str:
    """The catalog as the cloud's CSV import reads it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "name", "category", "barcode", "price", "cost", "tax_rate", "unit"])
    for p in products:
        text = [escape_cell(t) for t in (p.sku, p.name, p.category, p.barcode)]
        writer.writerow([*text, p.price, p.cost, p.tax_rate, "unit"])
    return out.getvalue()
