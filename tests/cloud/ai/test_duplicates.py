"""Duplicates: the hard negatives matter more than the easy positives."""

import pytest

from stocky.cloud.ai import LocalProvider, ProductRow


def groups(*names: str) -> list[set[str]]:
    rows = [ProductRow(id=f"p{i}", name=n) for i, n in enumerate(names)]
    result = LocalProvider().normalize(rows)
    by_id = {r.id: r.name for r in rows}
    return [{by_id[i] for i in g.ids} for g in result.groups]


def same(*names: str) -> bool:
    return groups(*names) == [set(names)]


# A catalog around each pair, so brands are learned as a shop's catalog would teach them.
CONTEXT = (
    "Zumirel Jugo Naranja 1 L",
    "Crokanta Galletas Limón 300 g",
    "Leche Lactiva Entera 1 L",
)


class TestHardNegatives:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Jugo Zumirel Mango 500 ml", "Jugo Zumirel Mango 1 L"),  # size
            ("Arroz Diana Blanco 1 kg", "Arroz Diana Blanco 5000 g"),
            ("Jugo Zumirel Mango 500 ml", "Jugo Zumirel Mora 500 ml"),  # flavour
            ("Leche Lactiva Entera 1 L", "Leche Lactiva Deslactosada 1 L"),  # kind
            ("Gaseosa Coca-Cola 1.5 L", "Gaseosa Coca-Cola Sin Azúcar 1,5 L"),
            ("Cerveza Brumosa 330 ml x6", "Cerveza Brumosa 330 ml"),  # pack
            ("Cerveza Brumosa 330 ml x6", "Cerveza Brumosa pack 12 330 ml"),
            ("Crokanta Galletas Limón 300 g", "Crokanta Galletas Ranchera 300 g"),  # unknown word
            ("Fab Detergente Polvo 1 kg", "Fabuloso Detergente Polvo 1 kg"),  # brand
            ("Salchicha Embutix Viena 250 g", "Salchicha Embutix 250 g"),  # a word left out
        ],
    )
    def test_not_duplicates(self, a: str, b: str) -> None:
        assert not any({a, b} <= g for g in groups(a, b, *CONTEXT, a.upper(), b.lower()))

    def test_a_product_without_size_never_joins_two_sizes(self) -> None:
        found = groups("Arroz Diana Blanco 1 kg", "arroz diana blanco", "Arroz Diana Blanco 5 kg")
        assert not any({"Arroz Diana Blanco 1 kg", "Arroz Diana Blanco 5 kg"} <= g for g in found)


class TestPositives:
    @pytest.mark.parametrize(
        "names",
        [
            (
                "Cafe Nescafe Tradicion 170g",
                "  Cafe  Nescafe Tradicion 170 grs",
                "NESCAFÉ CAFÉ TRADICIÓN 170 GRS",
            ),
            ("GASEOSA POSTOBÓN UVA 400CC", "Postobón Gaseosa Uva 400 ML"),
            ("Zumirel Jugo Mango 1,5 L", "jugo zumirel mango 1500 ml", "JUGO MANGO ZUMIREL 1.5LT"),
            ("Arroz Blanco Diana 1 KG", "diana arroz blanco 1000gr"),
            ("Caldo de Gallina Maggi x8", "caldo de gallina maggi 8 unidades"),
            ("ACEITE GOURMET VEGETAL 900 ML", "ACEITE GOURMETVEGETAL 900CC"),
            ("Pasta Doria Spaghetti 250 gr", "Doria Pasta Spagehtti 250 grs"),
            (
                "Cerveza Brumosa 330 ml x6",
                "Brumosa cerveza 6x330ml",
                "CERVEZA BRUMOSA PACK 6 330 CC",
            ),
        ],
    )
    def test_duplicates(self, names: tuple[str, ...]) -> None:
        assert same(*names)

    def test_group_has_score_and_reason(self) -> None:
        rows = [
            ProductRow(id="b", name="Jugo Hit Mora 500ml"),
            ProductRow(id="a", name="HIT JUGO MORA 500 ML"),
        ]
        (group,) = LocalProvider().normalize(rows).groups
        assert group.ids == ["a", "b"]
        assert 80 <= group.score <= 100
        assert "Jugo Mora Hit 500 ml" in group.reason
