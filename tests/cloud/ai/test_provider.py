"""The local provider: suggestions, categories, determinism and its properties."""

import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.cloud.ai import LocalProvider, NormalizerProvider, ProductRow


def normalize(*names: str, categories: list[str] | None = None) -> list[dict[str, object]]:
    rows = [ProductRow(id=str(i), name=n) for i, n in enumerate(names)]
    return [s.model_dump() for s in LocalProvider(categories).normalize(rows).suggestions]


class TestSuggestions:
    def test_clean_name_brand_size_and_category(self) -> None:
        first, *_ = normalize(
            "Cafe Nescafe Tradicion 170g", "NESCAFÉ CAFÉ TRADICIÓN 170 GRS", "Nescafe Cafe 50 g"
        )
        assert first["clean_name"] == "Café Tradición Nescafé 170 g"
        assert (first["brand"], first["variant"]) == ("Nescafé", "Tradición")
        assert (first["size"], first["unit"], first["pack"]) == (Decimal(170), "g", 1)
        assert first["category"] == "Despensa"
        assert first["reasons"]
        assert 0 < first["confidence"] <= 1  # type: ignore[operator]

    def test_produce_has_no_brand(self) -> None:
        (s,) = normalize("tomate chonto 1000 g")
        assert (s["clean_name"], s["brand"], s["category"]) == (
            "Tomate Chonto 1 kg",
            None,
            "Frutas y Verduras",
        )

    def test_default_taxonomy(self) -> None:
        found = [
            s["category"]
            for s in normalize(
                "Yogurt Melocotón 1 L",
                "Aguardiente Sin Azúcar 750 ml",
                "Papas Fritas Limón 105 g",
                "Toallas de Cocina x3",
                "Huevos AA 30 und",
                "Shampoo Manzanilla 400 ml",
                "Caldo de Gallina x8",
                "Pan Tajado Integral 500 g",
                "Pechuga de Pollo 1 kg",
            )
        ]
        assert found == [
            "Lácteos",
            "Licores",
            "Snacks",
            "Limpieza",
            "Huevos",
            "Aseo",
            "Despensa",
            "Panadería",
            "Carnes",
        ]

    def test_tenant_categories_are_used(self) -> None:
        tenant = ["Lacteos y Derivados", "Bebidas Frías", "Varios"]
        found = [
            s["category"]
            for s in normalize("Yogurt Mora 1 L", "Gaseosa Uva 400 ml", categories=tenant)
        ]
        assert found == ["Lacteos y Derivados", "Bebidas Frías"]

    def test_the_local_provider_is_a_provider(self) -> None:
        provider: NormalizerProvider = LocalProvider()
        assert provider.name == "local"


# --- properties ---------------------------------------------------------------------------

BRANDS = ["Zumirel", "Crokanta", "Lactiva", "Nescafé", "Van Camp's", "Coca-Cola", ""]
PRODUCTS = [
    "Jugo Mango",
    "Jugo Mora",
    "Galletas Vainilla",
    "Leche Entera",
    "Leche Deslactosada",
    "Café Tradición",
    "Atún en Aceite",
    "Gaseosa Sin Azúcar",
    "Detergente Polvo",
    "Arroz Blanco",
]
SIZES = [
    "170 g",
    "170gr",
    "0,5 kg",
    "500 GRS",
    "1 L",
    "1000 ml",
    "1,5 lt",
    "x6",
    "12 und",
    "330 ml x6",
    "",
]


@st.composite
def messy_name(draw: st.DrawFn) -> str:
    product = draw(st.sampled_from(PRODUCTS))
    brand = draw(st.sampled_from(BRANDS))
    words = [product, brand] if draw(st.booleans()) else [brand, product]
    name = " ".join(w for w in (*words, draw(st.sampled_from(SIZES))) if w)
    style = draw(st.sampled_from(["as is", "upper", "lower", "spaced"]))
    if style == "upper":
        return name.upper()
    if style == "lower":
        return name.lower()
    return ("  " + name.replace(" ", "  ", 1)) if style == "spaced" else name


catalogs = st.lists(messy_name(), min_size=1, max_size=25)


class TestProperties:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(catalogs)
    def test_normalizing_is_idempotent_on_its_own_clean_output(self, names: list[str]) -> None:
        clean = [s["clean_name"] for s in normalize(*names)]
        assert [s["clean_name"] for s in normalize(*clean)] == clean  # type: ignore[arg-type]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(catalogs, st.randoms(use_true_random=False))
    def test_grouping_does_not_depend_on_row_order(
        self, names: list[str], rnd: random.Random
    ) -> None:
        rows = [ProductRow(id=f"p{i}", name=n) for i, n in enumerate(names)]
        shuffled = rows[:]
        rnd.shuffle(shuffled)
        first = LocalProvider().normalize(rows)
        second = LocalProvider().normalize(shuffled)
        assert first.groups == second.groups
        assert sorted(first.suggestions, key=lambda s: s.id) == sorted(
            second.suggestions, key=lambda s: s.id
        )

    def test_same_rows_same_result(self) -> None:
        names = ["Jugo Hit Mora 500ml", "HIT JUGO MORA 500 ML", "Jugo Hit Mango 500ml"]
        rows = [ProductRow(id=str(i), name=n) for i, n in enumerate(names)]
        assert LocalProvider().normalize(rows) == LocalProvider().normalize(rows)
