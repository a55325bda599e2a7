"""Folding, glued words, and brands learned from the tenant's own catalog."""

from stocky.cloud.ai import LocalProvider, ProductRow
from stocky.cloud.ai.brands import Word, learn_brands
from stocky.cloud.ai.normalize import read_name
from stocky.cloud.ai.text import display_word, fold, split_glued
from stocky.cloud.ai.vocab import GENERIC_WORDS


def words(name: str) -> list[Word]:
    return read_name(name)[0]


class TestText:
    def test_fold_is_explicit_and_keeps_length(self) -> None:
        for text in ("NESCAFÉ Tradición", "Antioqueño AÑEJO", "Crème"):
            assert len(fold(text)) == len(text)
        assert fold("NESCAFÉ Tradición") == "nescafe tradicion"
        assert fold("Antioqueño") == "antioqueno"

    def test_glued_words_split_only_on_a_known_word(self) -> None:
        assert split_glued("detergentepolvo", GENERIC_WORDS) == ["detergente", "polvo"]
        assert split_glued("nescafe", GENERIC_WORDS) == ["nescafe"]
        assert split_glued("colanta", GENERIC_WORDS) == ["colanta"]

    def test_display_restores_accents_and_small_words(self) -> None:
        assert [display_word(w) for w in ("cafe", "de", "aa", "coca-cola")] == [
            "Café",
            "de",
            "AA",
            "Coca-Cola",
        ]


class TestBrands:
    # Invented brands, in no seed list: they can only be learned from the catalog.
    CATALOG = (
        "Zumirel Jugo Mango 500 ml",
        "jugo zumirel mora 1 L",
        "JUGO MANGO ZUMIREL 200 ML",
        "Galletas Crokanta Vainilla 300 g",
        "CROKANTA GALLETAS CHOCOLATE 300G",
        "Leche Vaquita Real Entera 1 L",
        "leche vaquita real deslactosada 1 l",
        "jabón en barra Brillex 300 g",
    )

    def test_brands_recur_across_products(self) -> None:
        lexicon = learn_brands((words(n) for n in self.CATALOG), seed=False)
        found = {n: lexicon.find(words(n)) for n in self.CATALOG}
        assert {m.brand.name for m in found.values() if m} >= {"Zumirel", "Crokanta"}
        assert found["jugo zumirel mora 1 L"] is not None
        assert found["jugo zumirel mora 1 L"].brand.name == "Zumirel"

    def test_two_word_brand_learned_together(self) -> None:
        lexicon = learn_brands((words(n) for n in self.CATALOG), seed=False)
        match = lexicon.find(words("Leche Vaquita Real Entera 1 L"))
        assert match is not None
        assert match.brand.name == "Vaquita Real"

    def test_capitalised_word_in_a_lower_case_name(self) -> None:
        lexicon = learn_brands((words(n) for n in self.CATALOG), seed=False)
        match = lexicon.find(words("jabón en barra Brillex 300 g"))
        assert match is not None
        assert match.brand.name == "Brillex"

    def test_vocabulary_is_never_a_brand(self) -> None:
        lexicon = learn_brands((words(n) for n in self.CATALOG), seed=False)
        for word in ("jugo", "mango", "galletas", "leche"):
            assert word not in lexicon

    def test_seed_list_is_a_fallback_and_typos_of_brands_are_found(self) -> None:
        names = ["Detergente Aril Liquido 1.8L", "Ariel Detergente Liquido 1,8 lt"]
        lexicon = learn_brands(words(n) for n in names)
        for name in names:
            match = lexicon.find(words(name))
            assert match is not None
            assert match.brand.name == "Ariel"
        assert learn_brands((words(n) for n in names), seed=False).find(words(names[0])) is None

    def test_brand_written_with_its_accents(self) -> None:
        names = ["Cafe Nescafe Tradicion 170g", "NESCAFÉ CAFÉ TRADICIÓN 170 GRS", "Zumirél Jugo"]
        lexicon = learn_brands((words(n) for n in names), seed=False)
        match = lexicon.find(words(names[0]))
        assert match is not None
        assert match.brand.name == "Nescafé"


class TestTyposAndGlue:
    def test_a_rare_brand_one_letter_off_a_frequent_one_is_its_typo(self) -> None:
        names = [f"Jugo Zumirel Mango {n} ml" for n in range(100, 2500, 100)]
        names += ["Jugo Zumrel Mango 200 ml", "jugo zumrel mora 1 L"]
        lexicon = learn_brands((words(n) for n in names), seed=False)
        match = lexicon.find(words("jugo zumrel mora 1 L"))
        assert match is not None
        assert match.brand.name == "Zumirel"

    def test_brands_a_few_letters_apart_stay_two(self) -> None:
        names = [f"Jugo Relta Mango {n} ml" for n in range(100, 1200, 100)]
        names += ["Jugo Reltaco Mango 200 ml", "jugo reltaco mora 1 L"]
        lexicon = learn_brands((words(n) for n in names), seed=False)
        match = lexicon.find(words("jugo reltaco mora 1 L"))
        assert match is not None
        assert match.brand.name == "Reltaco"

    def test_a_typo_is_not_split_and_both_known_sides_win(self) -> None:
        assert split_glued("pastaspaghetti", GENERIC_WORDS) == ["pasta", "spaghetti"]
        rows = [ProductRow(id="1", name="AGUARIDENTE TAPITA 750 ML")]
        (suggestion,) = LocalProvider().normalize(rows).suggestions
        assert suggestion.clean_name == "Aguardiente Tapita 750 ml"
