"""The catalog normalizer's quality and speed (issue 18, item 5), per provider.

    python -m bench.ai_eval [--dev ../shared/data/catalog-dev.csv] [--products 50000]
    python -m bench.ai_eval --quick          # CI-sized: 5,000 generated products
    STOCKY_AI_OPENAI_API_KEY=... python -m bench.ai_eval --openai-base-url URL [--openai-model M]

Dev file: a labelled messy Spanish catalog (raw_name, cluster, canonical, brand, size, unit,
category; rows of one cluster are one product). Printed: pairwise precision and recall of
duplicate detection (every pair of rows in one found group against every pair in one
cluster), size+unit accuracy (Decimal and canonical unit, exact), brand accuracy (as shown,
and with case and accents folded; also with the seed list of known brands off, from the
catalog alone), category accuracy, and the time per 1,000 products (median of runs).

Generated catalog: --products messy names (seeded) drawn from a few hundred base products of
invented brands (none in the seed list: brands must be learned) with random case, word order,
accents dropped, typos (brands' too), glued words, unit spellings and conversions (1 kg as
1000 g), decimal commas, packs (x6, pack 6, 6x) and extra spaces; siblings of one brand and
product differ only by size, pack or variant (the hard negatives). The same figures, its
whole time and its peak memory (tracemalloc, in a second run: tracing slows the first's
timing). The generator was written with the rules and knows the same kinds of mess: its
quality figures are optimistic; the dev file's are the honest ones, its time is the point.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import time
import tracemalloc
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from stocky.cloud.ai import LocalProvider, NormalizeResult, ProductRow
from stocky.cloud.ai.openai_provider import OpenAIProvider
from stocky.cloud.ai.provider import NormalizerProvider
from stocky.cloud.ai.text import fold

console = Console(width=120)
DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalog-dev.csv"


@dataclass(frozen=True)
class Labelled:
    row: ProductRow
    cluster: str
    brand: str
    size: Decimal | None
    unit: str
    category: str


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def duplicate_scores(result: NormalizeResult, truth: Sequence[Labelled]) -> tuple[float, float]:
    """Pairwise precision and recall, counted through the contingency of groups x clusters."""
    group_of = {i: g for g, group in enumerate(result.groups) for i in group.ids}
    cluster = {t.row.id: t.cluster for t in truth}
    cells = Counter((group_of.get(t.row.id, f"alone-{t.row.id}"), t.cluster) for t in truth)
    found = sum(pairs(len(g.ids)) for g in result.groups)
    true = sum(pairs(n) for n in Counter(cluster.values()).values())
    hit = sum(pairs(n) for n in cells.values())
    return (hit / found if found else 1.0), (hit / true if true else 1.0)


def accuracies(result: NormalizeResult, truth: Sequence[Labelled]) -> dict[str, float]:
    by_id = {s.id: s for s in result.suggestions}
    n = len(truth)
    size = brand = brand_folded = category = 0
    for t in truth:
        s = by_id[t.row.id]
        size += s.size == t.size and (s.unit or "") == t.unit
        brand += (s.brand or "") == t.brand
        brand_folded += fold(s.brand or "") == fold(t.brand)
        category += (s.category or "") == t.category
    return {
        "size+unit": size / n,
        "brand": brand / n,
        "brand (folded)": brand_folded / n,
        "category": category / n,
    }


def read_dev(path: Path) -> list[Labelled]:
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Labelled(
                ProductRow(id=str(i), name=r["raw_name"]),
                r["cluster"],
                r["brand"],
                Decimal(r["size"]) if r["size"] else None,
                r["unit"],
                r["category"],
            )
            for i, r in enumerate(csv.DictReader(f))
        ]


# --- the generated catalog ---------------------------------------------------------------

# noun, category, variants, sizes (amount, unit), packs
_BASES: list[tuple[str, str, list[str], list[tuple[str, str]], list[int]]] = [
    (
        "Arroz",
        "Granos",
        ["Blanco", "Integral", "Parboilizado"],
        [("500", "g"), ("1", "kg"), ("5", "kg")],
        [1],
    ),
    ("Lenteja", "Granos", ["", "Verde"], [("500", "g"), ("1", "kg")], [1]),
    ("Fríjol", "Granos", ["Rojo", "Cargamanto", "Negro"], [("500", "g"), ("1", "kg")], [1]),
    (
        "Pasta",
        "Granos",
        ["Spaghetti", "Macarrón", "Tornillo"],
        [("250", "g"), ("500", "g"), ("1", "kg")],
        [1],
    ),
    (
        "Leche",
        "Lácteos",
        ["Entera", "Deslactosada", "Descremada"],
        [("1", "L"), ("1.1", "L"), ("200", "ml")],
        [1, 6],
    ),
    (
        "Yogurt",
        "Lácteos",
        ["Fresa", "Melocotón", "Mora", "Natural"],
        [("1", "L"), ("200", "g"), ("1.75", "L")],
        [1],
    ),
    (
        "Queso",
        "Lácteos",
        ["Campesino", "Doble Crema", "Mozzarella"],
        [("250", "g"), ("500", "g")],
        [1],
    ),
    ("Mantequilla", "Lácteos", ["", "Sin Sal"], [("125", "g"), ("250", "g")], [1]),
    (
        "Gaseosa",
        "Bebidas",
        ["Cola", "Naranja", "Uva", "Limón", "Cola Sin Azúcar"],
        [("400", "ml"), ("1.5", "L"), ("2.5", "L"), ("350", "ml")],
        [1, 6],
    ),
    (
        "Jugo",
        "Bebidas",
        ["Mango", "Mora", "Naranja", "Lulo", "Guanábana"],
        [("200", "ml"), ("500", "ml"), ("1", "L")],
        [1, 6],
    ),
    ("Agua", "Bebidas", ["", "Con Gas"], [("600", "ml"), ("1.5", "L"), ("6", "L")], [1]),
    ("Cerveza", "Licores", ["", "Light"], [("330", "ml"), ("750", "ml")], [1, 6]),
    ("Aguardiente", "Licores", ["", "Sin Azúcar"], [("375", "ml"), ("750", "ml")], [1]),
    (
        "Café",
        "Despensa",
        ["Molido", "Tradición", "Instantáneo"],
        [("170", "g"), ("250", "g"), ("500", "g")],
        [1],
    ),
    (
        "Aceite",
        "Despensa",
        ["Vegetal", "Girasol", "Oliva"],
        [("900", "ml"), ("3", "L"), ("500", "ml")],
        [1],
    ),
    ("Azúcar", "Despensa", ["Blanca", "Morena"], [("1", "kg"), ("2.5", "kg")], [1]),
    ("Caldo de Gallina", "Despensa", [""], [("8", "und"), ("12", "und")], [1]),
    ("Avena en Hojuelas", "Despensa", ["", "Canela"], [("250", "g"), ("500", "g")], [1]),
    (
        "Chocolate de Mesa",
        "Despensa",
        ["Tradicional", "Clavos y Canela"],
        [("250", "g"), ("500", "g")],
        [1],
    ),
    ("Atún en Aceite", "Enlatados", ["", "Light"], [("160", "g"), ("80", "g")], [1, 3]),
    ("Detergente", "Limpieza", ["Polvo", "Líquido"], [("500", "g"), ("1", "kg"), ("3", "kg")], [1]),
    (
        "Limpiador",
        "Limpieza",
        ["Lavanda", "Limón", "Floral"],
        [("500", "ml"), ("1", "L"), ("2", "L")],
        [1],
    ),
    ("Toallas de Cocina", "Limpieza", [""], [("1", "und"), ("3", "und")], [1]),
    ("Lavaloza", "Limpieza", ["Limón", "Crema"], [("500", "g"), ("1", "kg")], [1]),
    ("Papel Higiénico", "Aseo", ["Doble Hoja", "Triple Hoja"], [("4", "und"), ("12", "und")], [1]),
    ("Shampoo", "Aseo", ["Manzanilla", "Anticaspa"], [("400", "ml"), ("750", "ml")], [1]),
    ("Crema Dental", "Aseo", ["Menta", "Blanqueadora"], [("75", "ml"), ("150", "ml")], [1, 3]),
    ("Huevos", "Huevos", ["AA", "A", "Rojos AA"], [("12", "und"), ("30", "und")], [1]),
    (
        "Papas Fritas",
        "Snacks",
        ["Limón", "Pollo", "Natural", "Picante"],
        [("45", "g"), ("105", "g")],
        [1, 6],
    ),
    (
        "Galletas",
        "Snacks",
        ["Chocolate", "Vainilla", "Limón"],
        [("300", "g"), ("450", "g")],
        [1, 12],
    ),
    ("Pan Tajado", "Panadería", ["Blanco", "Integral"], [("500", "g"), ("750", "g")], [1]),
    ("Salchicha", "Carnes", ["Ranchera", "Viena"], [("250", "g"), ("500", "g")], [1]),
]
_UNIT_SPELLINGS = {
    "g": ["g", "gr", "grs", "gramos", "G", "GR"],
    "kg": ["kg", "kilo", "kilos", "KG", "Kg"],
    "ml": ["ml", "cc", "ML", "mililitros"],
    "L": ["L", "l", "lt", "lts", "litro", "litros", "LT"],
    "und": ["und", "unid", "unidades", "UND", "u"],
}


def _brand_name(rng: random.Random) -> str:
    syllables = ["ta", "ma", "rel", "bri", "sol", "co", "lun", "vi", "dor", "ka", "ne", "po"]
    return "".join(rng.choice(syllables) for _ in range(rng.choice((2, 3)))).capitalize()


def base_products(seed: int = 7) -> list[tuple[str, str, str, str, Decimal, str, int]]:
    """(cluster, noun, variant, brand, size, unit, pack) of a few hundred base products."""
    rng = random.Random(seed)
    out = []
    for b, (noun, _category, variants, sizes, packs) in enumerate(_BASES):
        for brand in {_brand_name(rng) for _ in range(3)}:
            for variant in variants:
                for amount, unit in sizes:
                    pack = rng.choice(packs)
                    cluster = f"{b}|{brand}|{variant}|{amount}{unit}|{pack}"
                    out.append((cluster, noun, variant, brand, Decimal(amount), unit, pack))
    return out


def _messy_size(rng: random.Random, amount: Decimal, unit: str, pack: int) -> str:
    if unit in ("kg", "L") and rng.random() < 0.3:
        amount, unit = amount * 1000, {"kg": "g", "L": "ml"}[unit]
    elif unit in ("g", "ml") and amount < 1000 and rng.random() < 0.15:
        amount, unit = amount / 1000, {"g": "kg", "ml": "L"}[unit]
    number = format(amount.normalize(), "f")
    if "." in number and rng.random() < 0.5:
        number = number.replace(".", ",")
    spelled = rng.choice(_UNIT_SPELLINGS[unit])
    size = f"{number}{rng.choice(('', ' ', ' '))}{spelled}"
    if unit == "und" and rng.random() < 0.4:
        size = f"x{number}"
    if pack > 1:
        size = rng.choice(
            (f"{size} x{pack}", f"{size} x {pack}", f"pack {pack} {size}", f"{pack}x{size}")
        )
    return size


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _unaccent(text: str, keep_enye: bool) -> str:
    """Accents left out as a keyboard without them types (Limon, Azucar; Antioqueno)."""
    out = []
    for c in text:
        if keep_enye and c in "ñÑ":
            out.append(c)
        else:
            out.append(unicodedata.normalize("NFKD", c)[0])
    return "".join(out)


def messy_name(rng: random.Random, noun: str, variant: str, brand: str, size: str) -> str:
    words = [w for w in (noun, variant) if w]
    place = rng.random()
    if place < 0.35:
        parts = [brand, *words]
    elif place < 0.7:
        parts = [noun, brand, variant]
    else:
        parts = [*words, brand]
    name = " ".join(p for p in parts if p)
    if rng.random() < 0.5:
        name = _unaccent(name, keep_enye=rng.random() < 0.5)
    if rng.random() < 0.06:
        tokens = name.split()
        k = rng.randrange(len(tokens))
        if tokens[k] != brand:
            tokens[k] = _typo(rng, tokens[k])
        name = " ".join(tokens)
    if rng.random() < 0.03 and len(brand) >= 5:  # a letter of the brand left out
        i = rng.randrange(1, len(brand) - 1)
        name = name.replace(brand, brand[:i] + brand[i + 1 :], 1)
    if rng.random() < 0.03 and variant:  # the variant glued to the word before it
        name = name.replace(f" {variant.split()[0]}", variant.split()[0], 1)
    name = f"{name} {size}"
    case = rng.random()
    if case < 0.3:
        name = name.upper()
    elif case < 0.5:
        name = name.lower()
    if rng.random() < 0.25:
        name = "  " + name.replace(" ", "  ", 1)
    return name


def generated(n: int, seed: int = 11) -> list[Labelled]:
    rng = random.Random(seed)
    bases = base_products()
    category = {b[0]: b[1] for b in _BASES}
    out = []
    for i in range(n):
        cluster, noun, variant, brand, amount, unit, pack = rng.choice(bases)
        name = messy_name(rng, noun, variant, brand, _messy_size(rng, amount, unit, pack))
        size, canonical = _canonical(amount, unit)
        out.append(
            Labelled(
                ProductRow(id=str(i), name=name), cluster, brand, size, canonical, category[noun]
            )
        )
    return out


def _canonical(amount: Decimal, unit: str) -> tuple[Decimal, str]:
    if unit in ("g", "ml") and amount >= 1000:
        return amount / 1000, {"g": "kg", "ml": "L"}[unit]
    if unit in ("kg", "L") and amount < 1:
        return amount * 1000, {"kg": "g", "L": "ml"}[unit]
    return amount, unit


# --- running -----------------------------------------------------------------------------


def evaluate(
    name: str,
    truth: Sequence[Labelled],
    repeat: int,
    provider: NormalizerProvider | None = None,
) -> dict[str, float]:
    """The figures of one provider (local unless given) on a labelled catalog."""
    rows = [t.row for t in truth]
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = (provider or LocalProvider()).normalize(rows)
        times.append(time.perf_counter() - started)
    assert result is not None
    precision, recall = duplicate_scores(result, truth)
    figures = {"precision": precision, "recall": recall, **accuracies(result, truth)}
    if result.batches:  # a model's: how many of its batches it answered itself
        figures["batches"] = len(result.batches)
        figures["model batches"] = sum(b.provider_used != "local" for b in result.batches)
    if provider is None:  # the seed list is the local provider's own
        seedless = LocalProvider(seed_brands=False).normalize(rows)
        figures["brand (catalog only)"] = accuracies(seedless, truth)["brand"]
    figures["seconds"] = statistics.median(times)
    figures["ms / 1,000"] = statistics.median(times) / len(rows) * 1_000_000
    figures["groups"] = len(result.groups)
    _ = name
    return figures


def peak_memory(truth: Sequence[Labelled]) -> float:
    rows = [t.row for t in truth]
    tracemalloc.start()
    LocalProvider().normalize(rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


TARGETS = {"precision": 0.97, "recall": 0.90, "size+unit": 0.97, "category": 0.85}


def show(
    title: str, figures: dict[str, float], extra: dict[str, str], provider: str = "local"
) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column(provider, justify="right")
    table.add_column("target", justify="right")
    for measure in (
        "precision",
        "recall",
        "size+unit",
        "brand",
        "brand (folded)",
        "brand (catalog only)",
        "category",
    ):
        if measure not in figures:
            continue
        target = TARGETS.get(measure)
        value = figures[measure]
        mark = "" if target is None else (" [green]ok[/]" if value >= target else " [red]below[/]")
        table.add_row(measure, f"{value:.3f}{mark}", f">= {target:.2f}" if target else "")
    table.add_row("time per 1,000 products", f"{figures['ms / 1,000']:.0f} ms", "")
    table.add_row("duplicate groups found", f"{figures['groups']:.0f}", "")
    if "batches" in figures:
        answered = f"{figures['model batches']:.0f} of {figures['batches']:.0f}"
        table.add_row("batches the model answered (else local)", answered, "")
    for measure, value in extra.items():
        table.add_row(measure, value, "< 30 s" if measure == "whole catalog" else "")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--openai-base-url",
        help="also score the openai provider on the dev file, against this OpenAI-compatible "
        "server (key from STOCKY_AI_OPENAI_API_KEY)",
    )
    parser.add_argument("--openai-model", default="gpt-4o")
    args = parser.parse_args()
    products = 5_000 if args.quick else args.products
    dev = read_dev(args.dev)
    figures = evaluate("dev", dev, repeat=5)
    show(f"local provider on {args.dev.name} ({len(dev)} rows)", figures, {})
    key = os.environ.get("STOCKY_AI_OPENAI_API_KEY", "")
    if args.openai_base_url and not key:
        parser.error(
            "--openai-base-url needs STOCKY_AI_OPENAI_API_KEY (any value for a server without keys)"
        )
    if args.openai_base_url:
        model = OpenAIProvider(
            api_key=key,
            base_url=args.openai_base_url,
            model=args.openai_model,
        )
        figures = evaluate("dev", dev, repeat=1, provider=model)
        title = f"openai provider ({args.openai_model}) on {args.dev.name} ({len(dev)} rows)"
        show(title, figures, {}, provider="openai")
    synthetic = generated(products)
    clusters = len({t.cluster for t in synthetic})
    figures = evaluate("generated", synthetic, repeat=1)
    memory = peak_memory(synthetic)
    show(
        f"local provider on a generated catalog ({products:,} rows, {clusters} products)",
        figures,
        {
            "whole catalog": f"{figures['seconds']:.1f} s",
            "peak memory (tracemalloc)": f"{memory:.0f} MB",
        },
    )


if __name__ == "__main__":
    main()
