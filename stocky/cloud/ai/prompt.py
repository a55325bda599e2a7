"""What the `openai` provider asks a model, and the shape of the answer it accepts.

The model sees only product ids and raw names, the tenant's categories and the brands already
known: never prices, stock or anything else of the tenant's. `PROMPT_VERSION` changes with the
prompt or the answer's schema, so cached results of an older prompt are not reused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, Self

from openai.types.chat import ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from stocky.cloud.ai.schemas import ProductRow

PROMPT_VERSION = "2026-12-03.1"

Unit = Literal["g", "kg", "mg", "ml", "L", "und"]

SYSTEM = """\
Eres un normalizador de catálogos de tiendas minoristas en español. Para cada producto
recibes su id y su nombre tal como lo escribió la tienda. Devuelve, para cada id recibido y
solo para ellos:
- clean_name: el nombre limpio (tipo de producto, variante, marca y tamaño), sin errores de
  tipeo, con tildes y mayúsculas correctas;
- brand: la marca (preferí la forma de known_brands si corresponde), o null;
- variant: sabor, tipo o versión (p. ej. "Tradición", "Sin Azúcar"), o null;
- size y unit: el tamaño de UNA unidad como número con punto decimal y unidad entre
  g, kg, mg, ml, L, und ("1,5 lt" es 1.5 L; "6x330ml" es 330 ml con pack 6), o null ambos;
- pack: cuántas unidades trae el empaque (1 si no lo dice);
- category: una de categories, o null si ninguna corresponde;
- confidence entre 0 y 1, y reason: por qué, en una frase.
En duplicates agrupa los ids que son EL MISMO producto escrito de formas distintas. Nunca
agrupes tamaños, packs, sabores, variantes o marcas distintas: "Coca-Cola 400 ml" y
"Coca-Cola 1.5 L" NO son duplicados. Responde solo con el JSON pedido."""


class AnswerItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    clean_name: str = Field(min_length=1)
    brand: str | None
    variant: str | None
    size: float | None = Field(gt=0, allow_inf_nan=False)
    unit: Unit | None
    pack: int = Field(ge=1)
    category: str | None
    confidence: float = Field(ge=0, le=1)
    reason: str

    @model_validator(mode="after")
    def _size_with_unit(self) -> Self:
        if (self.size is None) != (self.unit is None):
            raise ValueError("size and unit go together")
        return self


class AnswerGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str]
    confidence: float = Field(ge=0, le=1)
    reason: str


class Answer(BaseModel):
    """The model's answer for one batch, validated before anything of it is used."""

    model_config = ConfigDict(extra="forbid")

    products: list[AnswerItem]
    duplicates: list[AnswerGroup]


_DROPPED = frozenset({"title", "default", "minimum", "maximum", "exclusiveMinimum", "minLength"})


def _strict(node: Any) -> Any:
    """Structured outputs' strict subset: every property required, nothing else allowed, no
    defaults or bounds (pydantic checks those on the answer)."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items() if k not in _DROPPED}
        if out.get("type") == "object" and "properties" in out:
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def response_format() -> ResponseFormatJSONSchema:
    """The `response_format` of a chat completion asking for an `Answer`."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "catalog_normalization",
            "strict": True,
            "schema": _strict(Answer.model_json_schema()),
        },
    }


def messages(
    rows: Sequence[ProductRow], categories: Sequence[str], brands: Sequence[str]
) -> list[ChatCompletionMessageParam]:
    """The chat messages for one batch: ids and names only (a row's other fields, if a caller
    passes a richer object, are never read)."""
    payload = {
        "categories": list(categories),
        "known_brands": list(brands),
        "products": [{"id": row.id, "name": row.name} for row in rows],
    }
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]
