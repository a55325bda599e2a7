"""Categories: the tenant's own when it has them, else a default retail taxonomy in Spanish,
assigned by keyword rules on the product's words (phrases first, then the first word that
names a kind of product: "caldo de gallina" is Despensa, not Carnes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from stocky.cloud.ai.text import fold, key

# Default taxonomy: category -> keywords (folded; a keyword of two words is a phrase).
DEFAULT_TAXONOMY: dict[str, tuple[str, ...]] = {
    "Snacks": (
        "papas fritas",
        "papa frita",
        "pasabocas",
        "pasaboca",
        "chitos",
        "platanitos",
        "mani",
        "rosquitas",
        "chicharron",
        "tostacos",
        "nachos",
        "doritos",
        "palomitas",
        "maiz pira",
        "snack",
        "snacks",
        "galleta",
        "galletas",
        "chocolatina",
        "chocolatinas",
        "dulces",
        "caramelos",
        "gomitas",
        "chicle",
        "chicles",
        "bombones",
        "barra de cereal",
    ),
    "Limpieza": (
        "toallas de cocina",
        "toalla de cocina",
        "detergente",
        "limpiador",
        "blanqueador",
        "cloro",
        "suavizante",
        "desengrasante",
        "lavaloza",
        "lavaplatos",
        "jabon de loza",
        "jabon en barra",
        "jabon rey",
        "esponja",
        "limpion",
        "trapero",
        "escoba",
        "ambientador",
        "insecticida",
        "desinfectante",
        "multiusos",
        "bolsas de basura",
        "servilletas",
        "servilleta",
        "quitamanchas",
        "lustramuebles",
    ),
    "Aseo": (
        "papel higienico",
        "shampoo",
        "champu",
        "acondicionador",
        "crema dental",
        "cepillo",
        "desodorante",
        "jabon",
        "toallas higienicas",
        "toalla higienica",
        "panal",
        "panales",
        "pañitos",
        "panitos",
        "protectores",
        "enjuague",
        "afeitadora",
        "talco",
        "crema corporal",
        "gel antibacterial",
        "algodon",
        "copitos",
    ),
    "Huevos": ("huevo", "huevos"),
    "Lácteos": (
        "leche",
        "yogurt",
        "yogur",
        "kumis",
        "queso",
        "quesito",
        "mantequilla",
        "margarina",
        "crema de leche",
        "arequipe",
        "kefir",
        "avena liquida",
        "leche condensada",
    ),
    "Licores": (
        "aguardiente",
        "ron",
        "vino",
        "whisky",
        "vodka",
        "tequila",
        "cerveza",
        "cervezas",
        "brandy",
        "ginebra",
        "licor",
        "champana",
        "sidra",
    ),
    "Bebidas": (
        "gaseosa",
        "gaseosas",
        "refresco",
        "jugo",
        "jugos",
        "nectar",
        "agua",
        "bebida",
        "energizante",
        "hidratante",
        "malta",
        "te helado",
        "limonada",
        "soda",
        "avena en caja",
    ),
    "Enlatados": (
        "atun",
        "sardinas",
        "sardina",
        "salchichas enlatadas",
        "enlatado",
        "enlatados",
        "maiz tierno",
        "arvejas enlatadas",
        "duraznos en almibar",
        "conserva",
    ),
    "Granos": (
        "arroz",
        "lenteja",
        "lentejas",
        "frijol",
        "frijoles",
        "garbanzo",
        "garbanzos",
        "arveja seca",
        "pasta",
        "pastas",
        "spaghetti",
        "espagueti",
        "macarron",
        "fideos",
        "conchitas",
        "tornillos",
        "maiz",
        "cuchuco",
        "quinua",
    ),
    "Despensa": (
        "cafe",
        "chocolate de mesa",
        "chocolate",
        "avena",
        "caldo",
        "cubos",
        "sopa",
        "harina",
        "azucar",
        "panela",
        "sal",
        "aceite",
        "salsa",
        "mayonesa",
        "mostaza",
        "vinagre",
        "condimento",
        "adobo",
        "comino",
        "oregano",
        "pimienta",
        "canela",
        "te",
        "aromatica",
        "gelatina",
        "flan",
        "mermelada",
        "miel",
        "cereal",
        "granola",
        "bocadillo",
        "levadura",
        "polvo de hornear",
        "esencia",
        "manteca",
        "salsa de tomate",
    ),
    "Panadería": (
        "pan",
        "pan tajado",
        "tostadas",
        "ponque",
        "mantecada",
        "croissant",
        "arepa",
        "arepas",
        "almojabanas",
        "pandebono",
        "buñuelos",
        "tortillas",
    ),
    "Carnes": (
        "carne",
        "res",
        "cerdo",
        "pollo",
        "pechuga",
        "muslos",
        "alas",
        "chorizo",
        "tocino",
        "tocineta",
        "costilla",
        "lomo",
        "molida",
        "salchicha",
        "salchichas",
        "jamon",
        "mortadela",
        "salchichon",
        "pescado",
        "tilapia",
        "camarones",
        "hamburguesa",
    ),
    "Frutas y Verduras": (
        "tomate",
        "papa",
        "papas",
        "cebolla",
        "zanahoria",
        "platano",
        "banano",
        "limon",
        "limones",
        "naranja",
        "naranjas",
        "aguacate",
        "lechuga",
        "yuca",
        "mango",
        "manzana",
        "manzanas",
        "pera",
        "uva",
        "fresa",
        "mora",
        "lulo",
        "maracuya",
        "guayaba",
        "pina",
        "papaya",
        "sandia",
        "melon",
        "pepino",
        "pimenton",
        "ajo",
        "cilantro",
        "brocoli",
        "repollo",
        "arracacha",
        "ahuyama",
        "mazorca",
        "frijol verde",
        "habichuela",
    ),
    "Mascotas": ("concentrado", "purina", "dog chow", "cat chow", "arena para gatos"),
}


@dataclass(frozen=True, slots=True)
class CategoryGuess:
    name: str | None
    confidence: float
    reason: str


def _rules() -> tuple[dict[tuple[str, ...], str], int]:
    rules: dict[tuple[str, ...], str] = {}
    for category, keywords in DEFAULT_TAXONOMY.items():
        for keyword in keywords:
            rules.setdefault(tuple(fold(keyword).split()), category)
    return rules, max(len(k) for k in rules)


_RULES, _LONGEST = _rules()


def default_category(words: Sequence[str]) -> tuple[str, str] | None:
    """The default taxonomy's category of a name's folded words and the keyword that chose
    it: the earliest keyword in the name, the longest at a position."""
    for start in range(len(words)):
        for size in range(min(_LONGEST, len(words) - start), 0, -1):
            category = _RULES.get(tuple(words[start : start + size]))
            if category is not None:
                return category, " ".join(words[start : start + size])
    singular = [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]
    if singular != list(words):
        return default_category(singular)
    return None


class CategoryMapper:
    """Puts the default taxonomy's choice into the tenant's categories when it has its own:
    the same name, else the closest name (Lácteos ~ Lacteos y Derivados), else the tenant
    category whose name shares a word with the product's."""

    def __init__(self, tenant_categories: Sequence[str] | None = None) -> None:
        self.tenant = list(dict.fromkeys(c for c in tenant_categories or () if c.strip()))
        self._folded = {key(fold(c)): c for c in self.tenant}
        self._mapped: dict[str, str | None] = {}

    def assign(self, words: Sequence[str]) -> CategoryGuess:
        found = default_category(words)
        if not self.tenant:
            if found is None:
                return CategoryGuess(None, 0.0, "sin categoría: ninguna palabra la indica")
            return CategoryGuess(found[0], 0.9, f"categoría {found[0]} por «{found[1]}»")
        if found is not None:
            mapped = self._map(found[0])
            if mapped is not None:
                return CategoryGuess(mapped, 0.85, f"categoría {mapped} por «{found[1]}»")
        for word in words:
            for folded, category in self._folded.items():
                if len(word) >= 4 and key(word) in folded:
                    return CategoryGuess(category, 0.6, f"categoría {category} por «{word}»")
        return CategoryGuess(None, 0.0, "sin categoría del catálogo que corresponda")

    def _map(self, default: str) -> str | None:
        if default not in self._mapped:
            wanted = key(fold(default))
            match = process.extractOne(
                wanted, list(self._folded), scorer=fuzz.partial_ratio, score_cutoff=85
            )
            self._mapped[default] = self._folded[match[0]] if match else None
        return self._mapped[default]
